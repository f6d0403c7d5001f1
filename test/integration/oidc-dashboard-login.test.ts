// Issue 16 (OpenID Connect): identity providers over /api/v1/identity-providers (checked with the provider at
// save time) and the dashboard login through one, against a real OpenID provider (`oidc-provider`, started by
// the test on loopback in its own process: test/helpers/oidc-provider.ts). No protocol mock: the browser's part
// (following redirects, the provider's login form, cookies) is done here with fetch; the browser test
// (test/browser/oidc-login.test.ts) does the same in Chromium.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgetSecretBoxes } from '../../src/auth/secret-box.ts';
import { adminIdentities, adminUsers, auditLog, identityProviders } from '../../src/db/schema/index.ts';
import { forgetProviderConfigs } from '../../src/services/identity-providers/configs.ts';
import { rotateSecretKey } from '../../src/services/secrets/rotate.ts';
import { browser } from '../helpers/admin-login.ts';
import { as, PASSWORD, type TestUser, usersOfEveryRole } from '../helpers/admin-users.ts';
import { testApp } from '../helpers/env.ts';
import { callbackCandidates, startTestProvider, type TestProvider } from '../helpers/oidc-provider.ts';

const ORIGIN = 'http://localhost';
const ACCOUNTS = {
  alice: { email: 'Alice@Example.test', name: 'Alice', groups: ['staff', 'gatehouse-ops'] },
  mallory: { email: 'mallory@example.test', groups: ['guests'] },
  olga: { email: 'olga@example.test', groups: ['gatehouse-owners', 'gatehouse-ops'] },
  zoe: { email: "Zoë.O'Brien@example.test", groups: ['gatehouse-ops'] },
  alice2: { email: 'ALICE@other.test', groups: ['gatehouse-ops'] },
};
const GROUP_ROLES = [
  { group: 'gatehouse-ops', role: 'operator' },
  { group: 'gatehouse-owners', role: 'owner' },
];

let env: Awaited<ReturnType<typeof testApp>>;
let users: Record<'owner' | 'admin' | 'operator' | 'viewer', TestUser>;
let provider: TestProvider;
const stopLater: TestProvider[] = [];

beforeAll(async () => {
  env = await testApp();
  users = await usersOfEveryRole(env);
  provider = await startTestProvider({ redirectUris: callbackCandidates(ORIGIN), accounts: ACCOUNTS });
}, 120_000);
afterAll(async () => {
  await Promise.all([provider, ...stopLater].map((p) => p.stop()));
  env.cleanup();
});

const admin = () => as(env, users.admin.session);
type ErrorBody = { error: { code: string; message: string; fields?: { field: string; message: string }[] } };

function providerInput(over: Record<string, unknown> = {}) {
  return {
    name: 'Test IdP',
    issuer: provider.issuer,
    client_id: provider.clientId,
    client_secret: provider.clientSecret,
    scopes: 'email profile groups',
    group_roles: GROUP_ROLES,
    ...over,
  };
}

/** The browser's part at the provider: follow redirects with a cookie jar, submit the login form. */
async function atProvider(authUrl: string, login: string): Promise<string> {
  const jar = new Map<string, string>();
  const send = async (url: string, init: RequestInit = {}) => {
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string>),
        cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    });
    for (const cookie of res.headers.getSetCookie()) {
      const pair = cookie.split(';')[0]!;
      const at = pair.indexOf('=');
      jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return res;
  };
  let res = await send(authUrl);
  let location = new URL(res.headers.get('location')!, authUrl).href;
  expect(location).toMatch(/\/interaction\//);
  expect((await send(location)).status).toBe(200);
  res = await send(location, {
    method: 'POST',
    body: new URLSearchParams({ login }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  location = new URL(res.headers.get('location')!, location).href;
  for (let hop = 0; hop < 5 && !location.startsWith(ORIGIN); hop++) {
    res = await send(location);
    location = new URL(res.headers.get('location')!, location).href;
  }
  expect(location.startsWith(`${ORIGIN}/login/oidc/`)).toBe(true);
  return location;
}

/** The whole dashboard login: /login/oidc/:id → provider → callback. Returns the callback's response. */
async function oidcLogin(providerId: number, login: string, tamper?: (callback: URL) => void) {
  const start = await env.app.request(`${ORIGIN}/login/oidc/${providerId}`);
  expect(start.status).toBe(302);
  const pending = start.headers.get('set-cookie')!.split(';')[0]!;
  expect(pending).toMatch(/^gh_oidc=/);
  const auth = new URL(start.headers.get('location')!);
  expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
  expect(auth.searchParams.get('state')).toBeTruthy();
  expect(auth.searchParams.get('nonce')).toBeTruthy();
  const callback = new URL(await atProvider(auth.href, login));
  tamper?.(callback);
  return env.app.request(callback.href, { headers: { cookie: pending } });
}

const sessionCookie = (res: Response) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('gatehouse_session='));

let providerId = 0;

describe('identity providers: saved only when the provider agrees', () => {
  it('saves a provider after discovery and the secret probe; the secret is sealed and never returned', async () => {
    const res = await admin()('POST', '/api/v1/identity-providers', providerInput());
    expect(res.status, await res.clone().text()).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    providerId = body.id as number;
    expect(body).toMatchObject({ issuer: provider.issuer, scopes: 'openid email profile groups' });
    expect(body.callback_url).toBe(`${ORIGIN}/login/oidc/${providerId}/callback`);
    expect(JSON.stringify(body)).not.toContain(provider.clientSecret);
    const [row] = await env.db.select().from(identityProviders).where(eq(identityProviders.id, providerId));
    expect(row!.clientSecret.startsWith('enc:v1:')).toBe(true);
  });

  it("refuses a wrong issuer with the discovery document's own issuer, and saves nothing", async () => {
    const wrong = provider.issuer.replace('127.0.0.1', 'localhost');
    const res = await admin()(
      'POST',
      '/api/v1/identity-providers',
      providerInput({ name: 'Wrong issuer', issuer: wrong }),
    );
    expect(res.status).toBe(422);
    const { error } = (await res.json()) as ErrorBody;
    expect(error.fields?.[0]?.field).toBe('issuer');
    expect(error.message).toContain(`names the issuer "${provider.issuer}"`);
  });

  it("refuses a wrong client secret with the provider's invalid_client answer", async () => {
    const res = await admin()(
      'POST',
      '/api/v1/identity-providers',
      providerInput({ name: 'Wrong secret', client_secret: 'not-the-secret' }),
    );
    expect(res.status).toBe(422);
    const { error } = (await res.json()) as ErrorBody;
    expect(error.fields?.[0]?.field).toBe('client_secret');
    expect(error.message).toContain('invalid_client');
  });

  it('refuses hostile values field by field before asking anyone', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ issuer: 'http://idp.example.com' }, 'issuer'],
      [{ issuer: 'javascript:alert(1)' }, 'issuer'],
      [{ issuer: 'file:///etc/passwd' }, 'issuer'],
      [{ issuer: `https://user:pw@127.0.0.1:1/` }, 'issuer'],
      [{ issuer: `https://x.test/${'a'.repeat(600)}` }, 'issuer'],
      [{ name: 'bad\u0000name' }, 'name'],
      [{ client_id: 'a\nb' }, 'client_id'],
      [{ client_secret: '' }, 'client_secret'],
      [{ scopes: 'openid "quoted"' }, 'scopes'],
      [{ scopes: Array.from({ length: 25 }, (_, i) => `s${i}`).join(' ') }, 'scopes'],
      [{ email_claim: 'e mail' }, 'email_claim'],
      [{ groups_claim: '<script>' }, 'groups_claim'],
      [{ group_roles: [{ group: 'x', role: 'god' }] }, 'group_roles.0.role'],
      [{ group_roles: [{ group: '', role: 'viewer' }] }, 'group_roles.0.group'],
      [{ group_roles: Array.from({ length: 201 }, () => ({ group: 'g', role: 'viewer' })) }, 'group_roles'],
      [{ extra: 1 }, ''],
    ];
    for (const [over, field] of cases) {
      const res = await admin()('POST', '/api/v1/identity-providers', providerInput({ name: 'Hostile', ...over }));
      expect(res.status, JSON.stringify(over).slice(0, 80)).toBe(422);
      const { error } = (await res.json()) as ErrorBody;
      if (field) expect(error.fields?.map((f) => f.field)).toContain(field);
    }
    const rows = await env.db.select().from(identityProviders);
    expect(rows.map((r) => r.name)).toEqual(['Test IdP']);
  });

  it('is for admins: an operator cannot list or add providers', async () => {
    const operator = as(env, users.operator.session);
    expect((await operator('GET', '/api/v1/identity-providers')).status).toBe(403);
    expect((await operator('POST', '/api/v1/identity-providers', providerInput({ name: 'Op' }))).status).toBe(403);
  });
});

describe('dashboard login through the provider', () => {
  it('logs in with PKCE, state and nonce; the first login creates the user with the role its group maps to', async () => {
    const res = await oidcLogin(providerId, 'alice');
    expect(res.status, await res.clone().text()).toBe(200);
    const cookie = sessionCookie(res);
    expect(cookie).toBeTruthy();
    const me = await env.app.request(`${ORIGIN}/api/v1/me`, { headers: { cookie: cookie! } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ actor: { username: 'alice', role: 'operator' } });
    const [user] = await env.db.select().from(adminUsers).where(eq(adminUsers.username, 'alice'));
    expect(user).toMatchObject({ role: 'operator', email: 'alice@example.test', passwordHash: '' });
    const links = await env.db.select().from(adminIdentities).where(eq(adminIdentities.userId, user!.id));
    expect(links).toHaveLength(1);
    // A second login finds the same user (no alice-2) and the highest mapped role wins for olga.
    expect((await oidcLogin(providerId, 'alice')).status).toBe(200);
    expect((await env.db.select().from(adminUsers).where(eq(adminUsers.username, 'alice-2'))).length).toBe(0);
    expect(await env.db.select().from(adminIdentities)).toHaveLength(1);
    // User names follow the users schema (a-z 0-9 ._@-) and never collide with an existing one.
    const zoe = await oidcLogin(providerId, 'zoe');
    expect(
      await (await env.app.request(`${ORIGIN}/api/v1/me`, { headers: { cookie: sessionCookie(zoe)! } })).json(),
    ).toMatchObject({ actor: { username: 'zoe.o-brien' } });
    const other = await oidcLogin(providerId, 'alice2');
    expect(
      await (await env.app.request(`${ORIGIN}/api/v1/me`, { headers: { cookie: sessionCookie(other)! } })).json(),
    ).toMatchObject({ actor: { username: 'alice-2' } });
    const olga = await oidcLogin(providerId, 'olga');
    const olgaMe = await env.app.request(`${ORIGIN}/api/v1/me`, { headers: { cookie: sessionCookie(olga)! } });
    expect(await olgaMe.json()).toMatchObject({ actor: { username: 'olga', role: 'owner' } });
  });

  it('refuses an account whose groups map to no role, with a clear page, and creates nothing', async () => {
    const res = await oidcLogin(providerId, 'mallory');
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toContain('not in a group that has a role here');
    expect(html).toContain('guests');
    expect(sessionCookie(res)).toBeUndefined();
    expect((await env.db.select().from(adminUsers).where(eq(adminUsers.username, 'mallory'))).length).toBe(0);
    const audit = await env.db.select().from(auditLog).where(eq(auditLog.action, 'auth.login_failed'));
    expect(audit.some((a) => JSON.stringify(a.after).includes('no_role'))).toBe(true);
  });

  it('refuses a callback whose state was changed, and one without the pending cookie', async () => {
    const tampered = await oidcLogin(providerId, 'alice', (u) => u.searchParams.set('state', 'forged-state'));
    expect(tampered.status).toBe(403);
    expect(sessionCookie(tampered)).toBeUndefined();
    const bare = await env.app.request(`${ORIGIN}/login/oidc/${providerId}/callback?code=x&state=y`);
    expect(bare.status).toBe(422);
    expect(await bare.text()).toContain('expired or was not started here');
  });

  it('accepts a provider clock off by the usual leeway, either way, and refuses one hours behind', async () => {
    for (const shift of [50, -50, -2 * 3600]) {
      const shifted = await startTestProvider({
        redirectUris: callbackCandidates(ORIGIN),
        accounts: ACCOUNTS,
        clockShiftSeconds: shift,
      });
      stopLater.push(shifted);
      const made = await admin()(
        'POST',
        '/api/v1/identity-providers',
        providerInput({ name: `Shifted ${shift}`, issuer: shifted.issuer }),
      );
      expect(made.status).toBe(201);
      const id = ((await made.json()) as { id: number }).id;
      const res = await oidcLogin(id, 'alice');
      if (Math.abs(shift) < 60) expect(res.status, `shift ${shift}: ${await res.clone().text()}`).toBe(200);
      else {
        expect(res.status).toBe(403);
        expect(await res.text()).toContain('check the clocks');
      }
      await admin()('DELETE', `/api/v1/identity-providers/${id}`);
    }
  });

  it('with the provider down: the login page says so, and a session from it keeps working', async () => {
    const down = await startTestProvider({ redirectUris: callbackCandidates(ORIGIN), accounts: ACCOUNTS });
    const made = await admin()(
      'POST',
      '/api/v1/identity-providers',
      providerInput({ name: 'Flaky', issuer: down.issuer }),
    );
    const id = ((await made.json()) as { id: number }).id;
    const session = sessionCookie(await oidcLogin(id, 'alice'))!;
    await down.stop();
    forgetProviderConfigs();
    const start = await env.app.request(`${ORIGIN}/login/oidc/${id}`);
    expect(start.status).toBe(503);
    expect(await start.text()).toContain('Flaky is not reachable right now');
    const login = await env.app.request(`${ORIGIN}/login`);
    expect(await login.text()).toContain('Flaky did not answer at the last attempt');
    const me = await env.app.request(`${ORIGIN}/api/v1/me`, { headers: { cookie: session } });
    expect(me.status).toBe(200);
    await admin()('DELETE', `/api/v1/identity-providers/${id}`);
  });
});

describe('the client secret at rest', () => {
  it('is re-encrypted by a key rotation, and the provider login still works with the new key', async () => {
    const [before] = await env.db.select().from(identityProviders).where(eq(identityProviders.id, providerId));
    const result = await rotateSecretKey(env.config);
    expect(result.secrets).toBeGreaterThanOrEqual(1);
    forgetSecretBoxes();
    forgetProviderConfigs();
    const [after] = await env.db.select().from(identityProviders).where(eq(identityProviders.id, providerId));
    expect(after!.clientSecret).not.toBe(before!.clientSecret);
    expect((await oidcLogin(providerId, 'alice')).status).toBe(200);
  });
});

describe('SSO only', () => {
  it('turns passwords off except for the break-glass owner', async () => {
    const owner = as(env, users.owner.session);
    const on = await owner('PATCH', '/api/v1/settings', { sso_only: true });
    expect(on.status, await on.clone().text()).toBe(200);
    const login = (username: string) =>
      env.call('POST', '/api/v1/auth/login', { body: { username, password: 'correct horse battery' } });
    const refused = await login(users.admin.username);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as ErrorBody).error.message).toContain('SSO only');
    expect((await login(users.owner.username)).status).toBe(401);
    env.config.admin.breakGlassOwner = users.owner.username;
    try {
      expect((await login(users.owner.username)).status).toBe(200);
      // The break-glass name is an owner's only: naming an admin there does not let the admin in.
      env.config.admin.breakGlassOwner = users.admin.username;
      expect((await login(users.admin.username)).status).toBe(401);
    } finally {
      env.config.admin.breakGlassOwner = undefined;
    }
    const page = await env.app.request(`${ORIGIN}/login`);
    expect(await page.text()).toContain('Break-glass owner login');
    await owner('PATCH', '/api/v1/settings', { sso_only: false });
  });
});

describe('settings page: identity providers', () => {
  it("adds a provider from the form, shows the provider's answer when it refuses, and lists the callback", async () => {
    const b = browser(env, '198.51.100.20');
    expect((await b.password(PASSWORD, users.admin.username)).status).toBe(303);
    const page = await (await b.request('GET', '/settings')).text();
    expect(page).toContain('Identity providers (OpenID Connect)');
    const csrf = b.csrfOf(page);
    const form = {
      _csrf: csrf,
      name: 'From the form',
      issuer: provider.issuer,
      client_id: provider.clientId,
      client_secret: 'wrong',
      scopes: 'openid email groups',
      groups_claim: 'groups',
      email_claim: 'email',
      group_roles: 'gatehouse-ops = operator\nadmins = god',
    };
    const bad = await b.request('POST', '/settings/identity-providers', form);
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('role');
    const refused = await b.request('POST', '/settings/identity-providers', {
      ...form,
      group_roles: 'gatehouse-ops = operator',
    });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('invalid_client');
    const added = await b.request('POST', '/settings/identity-providers', {
      ...form,
      client_secret: provider.clientSecret,
      group_roles: 'gatehouse-ops = operator',
    });
    expect(added.status).toBe(303);
    const after = await (await b.request('GET', '/settings')).text();
    expect(after).toMatch(/From the form.*\/login\/oidc\/\d+\/callback/s);
    expect(after).not.toContain(provider.clientSecret);
  });
});
