// Issue 16, "Route login through OpenID Connect": the login page on a route's own domain sends the browser to the
// provider (PKCE, state, nonce, a redirect URI per route domain), the callback under /.gatehouse/ opens a route
// session with who logged in; the opt-in parent-domain cookie is accepted by sibling routes with the same
// provider and parent domain only; logout ends it server-side. Hostile values: state mismatch, replayed
// callbacks, callbacks without this browser's cookie or on another host, foreign return paths, bad parent domains.
// Real: the Hono app (app.request) with the route-auth endpoints as Caddy calls them (X-Gatehouse-Route, the proxy
// secret), the real `oidc-provider` on loopback (test/helpers/oidc-provider.ts; its login form is posted by
// fetch), openid-client, a temp-file libSQL database. Simulated: Caddy itself (its forward-auth call is made here
// with the same headers) and the browser (cookies carried by hand). The browser and Caddy path:
// test/browser/route-oidc.test.ts.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeAuthSessions, routeOidcLogins } from '../../src/db/schema/index.ts';
import { forgetProviderConfigs } from '../../src/services/identity-providers/configs.ts';
import { createIdentityProvider } from '../../src/services/identity-providers/save.ts';
import { systemContext, testApp } from '../helpers/env.ts';
import {
  callbackCandidates,
  startTestProvider,
  type TestProvider,
  testProviderInput,
} from '../helpers/oidc-provider.ts';

const PROXY_SECRET = 'test-proxy-secret-0123456789abcdef';
const CSRF = 'c'.repeat(40);
const HOSTS = { a: 'app.sso.test', b: 'other.sso.test', solo: 'solo.sso.test' } as const;
type Site = keyof typeof HOSTS;
/** Moves only Gatehouse's clock (the provider and openid-client keep real time). */
let shiftMs = 0;
let env: Awaited<ReturnType<typeof testApp>>;
let provider: TestProvider;
let token = '';
let providerId = 0;
const routeIds: Record<Site, number> = { a: 0, b: 0, solo: 0 };

function forwarded(site: Site, extra: Record<string, string> = {}) {
  return {
    host: HOSTS[site],
    'x-forwarded-host': HOSTS[site],
    'x-gatehouse-route': String(routeIds[site]),
    'x-gatehouse-client-ip': '198.51.100.9',
    'x-gatehouse-proxy-secret': PROXY_SECRET,
    ...extra,
  };
}

/** name=value of a Set-Cookie header by cookie name, with its attributes. */
function setCookie(res: Response, name: string): { value: string; attrs: string } | undefined {
  const line = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  if (!line) return undefined;
  const [pair, ...attrs] = line.split(';');
  return { value: pair!.slice(name.length + 1), attrs: attrs.join(';').trim() };
}

/** The route's login page: the provider's authorization URL and the waiting login's cookie. */
async function startLogin(site: Site, rd = '/') {
  const res = await env.app.request(`/.gatehouse/login?rd=${encodeURIComponent(rd)}`, { headers: forwarded(site) });
  expect(res.status, await res.clone().text()).toBe(302);
  const pending = setCookie(res, '__Host-gatehouse_oidc');
  expect(pending?.attrs).toMatch(/HttpOnly/);
  expect(pending?.attrs).toMatch(/SameSite=Lax/);
  return { authUrl: new URL(res.headers.get('location')!), cookie: pending!.value };
}

/** The user's part at the provider: its login form, as a browser would post it; returns the callback URL. */
async function signIn(authUrl: URL, login: string): Promise<URL> {
  const jar = new Map<string, string>();
  let url = authUrl.href;
  let body: string | undefined;
  for (let hop = 0; hop < 12; hop++) {
    const res = await fetch(url, {
      method: body ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body,
      signal: AbortSignal.timeout(5_000),
    });
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';')[0]!;
      jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
    const location = res.headers.get('location');
    if (res.status === 200 && !body && new URL(url).pathname.startsWith('/interaction/')) {
      await res.text();
      body = `login=${encodeURIComponent(login)}`;
      continue;
    }
    await res.text();
    if (!location) throw new Error(`the provider answered ${res.status} at ${url}`);
    const next = new URL(location, url);
    if (next.pathname === '/.gatehouse/oidc/callback') return next;
    url = next.href;
    body = undefined;
  }
  throw new Error('too many redirects at the provider');
}

const callback = (site: Site, url: URL, cookie: string | undefined) =>
  env.app.request(`/.gatehouse/oidc/callback${url.search}`, {
    headers: forwarded(site, cookie === undefined ? {} : { cookie: `__Host-gatehouse_oidc=${cookie}` }),
  });

const verify = (site: Site, cookie: string) =>
  env.app.request('/auth/verify', {
    headers: { ...forwarded(site, { cookie }), 'x-forwarded-uri': '/docs', 'x-forwarded-method': 'GET' },
  });

async function createRoute(body: Record<string, unknown>) {
  return env.call('POST', '/api/v1/routes', {
    token,
    body: { target_host: '10.0.0.5', target_port: 80, auth_enabled: true, ...body },
  });
}

beforeAll(async () => {
  env = await testApp({ proxySecret: PROXY_SECRET, now: () => new Date(Date.now() + shiftMs) });
  token = await env.tokenFor('admin');
  provider = await startTestProvider({
    redirectUris: [
      ...Object.values(HOSTS).map((h) => `https://${h}/.gatehouse/oidc/callback`),
      ...callbackCandidates('http://127.0.0.1:9'),
    ],
    accounts: { alice: { email: 'Alice@Example.test', name: 'Alice Liddell', groups: ['staff', 'ops'] } },
  });
  const created = await createIdentityProvider({
    ctx: systemContext(env),
    origin: 'http://127.0.0.1:9',
    input: testProviderInput(provider),
  });
  providerId = created.id;
  for (const site of Object.keys(HOSTS) as Site[]) {
    const res = await createRoute({
      domain: HOSTS[site],
      auth_method: 'oidc',
      auth_provider_id: providerId,
      ...(site === 'solo' ? {} : { auth_sso_domain: ' .SSO.Test ' }),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const route = (await res.json()) as { id: number; auth_sso_domain: string | null };
    routeIds[site] = route.id;
    expect(route.auth_sso_domain).toBe(site === 'solo' ? null : 'sso.test');
  }
}, 60_000);
afterAll(async () => {
  await provider?.stop();
  env?.cleanup();
});

describe('route login through an identity provider', () => {
  it("sends the browser to the provider with PKCE, state, nonce and the route domain's own redirect URI", async () => {
    for (const site of ['a', 'solo'] as const) {
      const { authUrl } = await startLogin(site);
      expect(authUrl.origin).toBe(new URL(provider.issuer).origin);
      const q = authUrl.searchParams;
      expect(q.get('redirect_uri')).toBe(`https://${HOSTS[site]}/.gatehouse/oidc/callback`);
      expect(q.get('code_challenge_method')).toBe('S256');
      expect(q.get('state')?.length).toBeGreaterThanOrEqual(32);
      expect(q.get('nonce')?.length).toBeGreaterThanOrEqual(32);
      expect(q.get('scope')).toBe('openid email profile groups');
    }
  });

  it('opens a session with email, name and groups; the SSO cookie is on the parent domain and a sibling accepts it', async () => {
    const { authUrl, cookie } = await startLogin('a', '/docs?page=2');
    const res = await callback('a', await signIn(authUrl, 'alice'), cookie);
    expect(res.status, await res.clone().text()).toBe(303);
    expect(res.headers.get('location')).toBe('/docs?page=2');
    const sso = setCookie(res, '__Secure-gatehouse_sso');
    expect(sso?.attrs).toMatch(/Domain=sso\.test/i);
    expect(sso?.attrs).toMatch(/Secure/);
    expect(sso?.attrs).toMatch(/HttpOnly/);
    const [row] = await env.db.select().from(routeAuthSessions).where(eq(routeAuthSessions.routeId, routeIds.a));
    expect(row).toMatchObject({
      providerId,
      ssoDomain: 'sso.test',
      identity: { subject: 'alice', email: 'alice@example.test', name: 'Alice Liddell', groups: ['staff', 'ops'] },
    });
    const cookieHeader = `__Secure-gatehouse_sso=${sso!.value}; theme=dark`;
    for (const site of ['a', 'b'] as const) {
      const ok = await verify(site, cookieHeader);
      expect(ok.status, site).toBe(200);
      expect(ok.headers.get('remote-user')).toBe('alice@example.test');
      expect(ok.headers.get('remote-email')).toBe('alice@example.test');
      expect(ok.headers.get('remote-name')).toBe('Alice Liddell');
      expect(ok.headers.get('remote-groups')).toBe('staff,ops');
    }
    // The route that did not opt in does not take the parent-domain cookie.
    expect((await verify('solo', cookieHeader)).status).toBe(302);

    // Logout on the sibling ends the session for every route (server-side), and removes the parent cookie.
    const out = await env.app.request('/.gatehouse/logout', {
      method: 'POST',
      headers: {
        ...forwarded('b', { cookie: `${cookieHeader}; __Host-gatehouse_csrf=${CSRF}` }),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `csrf=${CSRF}`,
    });
    expect(out.status).toBe(200);
    expect(setCookie(out, '__Secure-gatehouse_sso')?.attrs).toMatch(/Domain=sso\.test/i);
    expect((await verify('a', cookieHeader)).status).toBe(302);
    expect((await verify('b', cookieHeader)).status).toBe(302);
  });

  it('a route without the SSO setting keeps its session on its own host', async () => {
    const { authUrl, cookie } = await startLogin('solo');
    const res = await callback('solo', await signIn(authUrl, 'alice'), cookie);
    expect(res.status).toBe(303);
    expect(setCookie(res, '__Secure-gatehouse_sso')).toBeUndefined();
    const own = setCookie(res, '__Host-gatehouse_auth');
    expect(own?.attrs).not.toMatch(/Domain=/i);
    expect((await verify('solo', `__Host-gatehouse_auth=${own!.value}`)).status).toBe(200);
    // A host cookie of one route is no session on another.
    expect((await verify('a', `__Host-gatehouse_auth=${own!.value}`)).status).toBe(302);
  });
});

describe('hostile callbacks', () => {
  const sessions = async () => (await env.db.select().from(routeAuthSessions)).length;

  it('a replayed callback (same code, state and cookie) is refused: each waiting login is used once', async () => {
    const { authUrl, cookie } = await startLogin('a');
    const back = await signIn(authUrl, 'alice');
    expect((await callback('a', back, cookie)).status).toBe(303);
    const before = await sessions();
    const again = await callback('a', back, cookie);
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('Login expired');
    expect(await sessions()).toBe(before);
  });

  it('a state that is not the one this browser was given is refused, and spends the waiting login', async () => {
    const { authUrl, cookie } = await startLogin('a');
    const back = await signIn(authUrl, 'alice');
    const forged = new URL(back);
    forged.searchParams.set('state', 'x'.repeat(43));
    const before = await sessions();
    const res = await callback('a', forged, cookie);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Login refused');
    // The genuine answer cannot be used after a forged one: the waiting login is gone.
    expect((await callback('a', back, cookie)).status).toBe(400);
    expect(await sessions()).toBe(before);
  });

  it("a callback without this browser's cookie, with another's, or on another route's host opens nothing", async () => {
    const { authUrl, cookie } = await startLogin('a');
    const back = await signIn(authUrl, 'alice');
    const before = await sessions();
    expect((await callback('a', back, undefined)).status).toBe(400);
    expect((await callback('a', back, 'z'.repeat(43))).status).toBe(400);
    expect((await callback('a', back, 'z'.repeat(5000))).status).toBe(400);
    expect((await callback('b', back, cookie)).status).toBe(400); // spent here, started on app.sso.test
    expect((await callback('a', back, cookie)).status).toBe(400); // and one use only
    expect(await sessions()).toBe(before);
  });

  it('a waiting login older than 10 minutes is refused', async () => {
    const { authUrl, cookie } = await startLogin('a');
    const back = await signIn(authUrl, 'alice');
    shiftMs = 10 * 60 * 1000 + 1000;
    try {
      expect((await callback('a', back, cookie)).status).toBe(400);
    } finally {
      shiftMs = 0;
    }
  });

  it('a foreign return path becomes /: only relative paths on this host', async () => {
    for (const rd of [
      'https://evil.test/x',
      '//evil.test/x',
      '/\\evil.test',
      '/.gatehouse/logout',
      'javascript:alert(1)',
    ]) {
      const { cookie } = await startLogin('a', rd);
      const { createHash } = await import('node:crypto');
      const id = createHash('sha256').update(cookie).digest('hex');
      const [row] = await env.db.select().from(routeOidcLogins).where(eq(routeOidcLogins.id, id));
      expect(row?.returnTo, rd).toBe('/');
    }
    const { authUrl, cookie } = await startLogin('a', '//evil.test/x');
    const res = await callback('a', await signIn(authUrl, 'alice'), cookie);
    expect(res.headers.get('location')).toBe('/');
  });

  it('a password post to a provider-login route opens nothing', async () => {
    const res = await env.app.request('/.gatehouse/login', {
      method: 'POST',
      headers: {
        ...forwarded('solo', { cookie: `__Host-gatehouse_csrf=${CSRF}` }),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `csrf=${CSRF}&username=&password=whatever-password`,
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/.gatehouse/login?rd=%2F');
    expect(setCookie(res, '__Host-gatehouse_auth')).toBeUndefined();
  });
});

describe('route settings', () => {
  it.each([
    ['test', 'auth_sso_domain', 'not a fully qualified domain name'],
    ['elsewhere.test', 'auth_sso_domain', 'parent domain of x.sso.test'],
    ['x.sso.test', 'auth_sso_domain', 'parent domain'],
    ['*.sso.test', 'auth_sso_domain', 'without a wildcard'],
    ['sso..test', 'auth_sso_domain', 'not'],
    ['a'.repeat(300), 'auth_sso_domain', 'at most 253'],
    ['sso.test\u0000', 'auth_sso_domain', 'not'],
  ])('a bad parent domain %j is refused (%s)', async (value, field, message) => {
    const res = await createRoute({
      domain: 'x.sso.test',
      auth_method: 'oidc',
      auth_provider_id: providerId,
      auth_sso_domain: value,
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { fields: { field: string; message: string }[] } };
    const issue = body.error.fields.find((f) => f.field === field);
    expect(issue?.message, JSON.stringify(body)).toContain(message);
  });

  it('refuses a parent domain without oidc, oidc without a provider, and a provider not offered to routes', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [
        { auth_method: 'password', auth_password: 'a shared password', auth_sso_domain: 'sso.test' },
        'auth_sso_domain',
        'only for auth_method oidc',
      ],
      [{ auth_method: 'oidc' }, 'auth_provider_id', 'required'],
      [{ auth_method: 'oidc', auth_provider_id: 999_999 }, 'auth_provider_id', 'does not exist'],
      [
        { auth_method: 'oidc', auth_provider_id: providerId, basic_auth_enabled: true },
        'basic_auth_enabled',
        'identity provider',
      ],
    ];
    const dashboardOnly = await createIdentityProvider({
      ctx: systemContext(env),
      origin: 'http://127.0.0.1:9',
      input: testProviderInput(provider, {
        name: 'Dashboard only',
        scopes: 'openid',
        for_dashboard: true,
        for_routes: false,
      }),
    });
    cases.push([
      { auth_method: 'oidc', auth_provider_id: dashboardOnly.id },
      'auth_provider_id',
      'not offered to routes',
    ]);
    for (const [fields, field, message] of cases) {
      const res = await createRoute({ domain: 'y.sso.test', ...fields });
      expect(res.status, JSON.stringify(fields)).toBe(422);
      const body = (await res.json()) as { error: { fields: { field: string; message: string }[] } };
      expect(body.error.fields.find((f) => f.field === field)?.message, JSON.stringify(body)).toContain(message);
    }
  });

  it('a route user on a provider-login route is not its last way in, and can log in nowhere by password', async () => {
    const user = await env.call('POST', `/api/v1/routes/${routeIds.solo}/auth-users`, {
      token,
      body: { username: 'carol', password: 'carol has a long password' },
    });
    expect(user.status, await user.clone().text()).toBe(201);
    const userId = ((await user.json()) as { id: number }).id;
    const post = await env.app.request('/.gatehouse/login', {
      method: 'POST',
      headers: {
        ...forwarded('solo', { cookie: `__Host-gatehouse_csrf=${CSRF}` }),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `csrf=${CSRF}&username=carol&password=${encodeURIComponent('carol has a long password')}`,
    });
    expect(setCookie(post, '__Host-gatehouse_auth')).toBeUndefined();
    const removed = await env.call('DELETE', `/api/v1/routes/${routeIds.solo}/auth-users/${userId}`, { token });
    expect(removed.status, await removed.clone().text()).toBeLessThan(300);
  });

  it('a provider that routes log in through cannot be removed or withdrawn from routes', async () => {
    const removed = await env.call('DELETE', `/api/v1/identity-providers/${providerId}`, { token });
    expect(removed.status).toBe(409);
    expect(await removed.text()).toContain('auth_provider_id');
    const withdrawn = await env.call('PATCH', `/api/v1/identity-providers/${providerId}`, {
      token,
      body: { for_routes: false },
    });
    expect(withdrawn.status).toBe(409);
  });
});

describe('the provider down', () => {
  it('the login page says so, and a session already open keeps working', async () => {
    const { authUrl, cookie } = await startLogin('solo');
    const res = await callback('solo', await signIn(authUrl, 'alice'), cookie);
    const own = setCookie(res, '__Host-gatehouse_auth')!.value;
    await provider.stop();
    forgetProviderConfigs();
    const page = await env.app.request('/.gatehouse/login?rd=%2F', { headers: forwarded('solo') });
    expect(page.status).toBe(503);
    expect(await page.text()).toContain('Test IdP is not reachable right now');
    expect((await verify('solo', `__Host-gatehouse_auth=${own}`)).status).toBe(200);
  });
});
