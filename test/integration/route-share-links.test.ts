// Issue 16 (share links): a time-limited, optionally use-limited link to a route with a login opens a route
// session; listed, revocable (its sessions end), audit-logged; hostile values refused.
// Real: the Hono app (app.request) with the route-auth endpoints as Caddy calls them (X-Gatehouse-Route, the
// proxy secret), the services, a temp-file libSQL database. Simulated: Caddy itself (its forward-auth call
// is made here with the same headers), the clock.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, routeShareLinks } from '../../src/db/schema/index.ts';
import { testApp } from '../helpers/env.ts';

const PROXY_SECRET = 'test-proxy-secret-0123456789abcdef';
const CSRF = 'c'.repeat(40);
let clock = Date.parse('2026-11-30T12:00:00Z');
let env: Awaited<ReturnType<typeof testApp>>;
let token = '';
let route = { id: 0, domain: 'share.example.com' };

function forwarded(extra: Record<string, string> = {}) {
  return {
    host: route.domain,
    'x-forwarded-host': route.domain,
    'x-gatehouse-route': String(route.id),
    'x-gatehouse-client-ip': '198.51.100.9',
    'x-gatehouse-proxy-secret': PROXY_SECRET,
    ...extra,
  };
}

beforeAll(async () => {
  env = await testApp({ proxySecret: PROXY_SECRET, now: () => new Date(clock) });
  token = await env.tokenFor('write');
  const res = await env.call('POST', '/api/v1/routes', {
    token,
    body: {
      domain: route.domain,
      target_host: '10.0.0.5',
      target_port: 80,
      auth_enabled: true,
      auth_password: 'a shared route password',
    },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  route = { ...route, id: ((await res.json()) as { id: number }).id };
}, 60_000);
afterAll(() => env.cleanup());

const create = (body: unknown) => env.call('POST', `/api/v1/routes/${route.id}/share-links`, { token, body });
const linkPath = (url: string) => new URL(url).pathname;

/** The guest's part: open the link's page, press its button; the session cookie it got (or undefined). */
async function open(path: string) {
  const pageRes = await env.app.request(path, { headers: forwarded({ cookie: `__Host-gatehouse_csrf=${CSRF}` }) });
  const posted = await env.app.request(path, {
    method: 'POST',
    headers: {
      ...forwarded({ cookie: `__Host-gatehouse_csrf=${CSRF}` }),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: `csrf=${CSRF}`,
  });
  const cookie = posted.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('__Host-gatehouse_auth='));
  return { page: pageRes, posted, cookie };
}

const verify = (cookie?: string) =>
  env.app.request('/auth/verify', { headers: forwarded({ ...(cookie ? { cookie } : {}), 'x-forwarded-uri': '/' }) });

describe('share links', () => {
  it('opens a route session once per use, up to max_uses, and the link is shown once and stored hashed', async () => {
    const res = await create({ name: 'for the plumber', expires_in_hours: 24, max_uses: 1 });
    expect(res.status, await res.clone().text()).toBe(201);
    const link = (await res.json()) as { id: number; url: string; status: string };
    expect(link.url).toMatch(/^https:\/\/share\.example\.com\/\.gatehouse\/share\/ghs_[\w-]{43}$/);
    const [row] = await env.db.select().from(routeShareLinks).where(eq(routeShareLinks.id, link.id));
    expect(JSON.stringify(row)).not.toContain(link.url.split('/').pop());

    expect((await verify()).status).toBe(302);
    const first = await open(linkPath(link.url));
    expect(first.page.status).toBe(200);
    expect(await first.page.text()).toContain('for the plumber');
    expect(first.posted.status).toBe(303);
    expect(first.cookie).toBeTruthy();
    expect((await verify(first.cookie)).status).toBe(200);
    // Used up: the page says so and a second press opens nothing.
    const second = await open(linkPath(link.url));
    expect(second.page.status).toBe(404);
    expect(second.posted.status).toBe(404);
    expect(second.cookie).toBeUndefined();
    const listed = await env.call('GET', `/api/v1/routes/${route.id}/share-links`, { token });
    expect(((await listed.json()) as { data: { status: string; uses: number }[] }).data[0]).toMatchObject({
      status: 'used_up',
      uses: 1,
    });
    const audit = await env.db.select().from(auditLog).where(eq(auditLog.action, 'share_link.use'));
    expect(audit).toHaveLength(1);
  });

  it('expires with its time, and its sessions end with it', async () => {
    const res = await create({ name: 'one hour', expires_in_hours: 1 });
    const link = (await res.json()) as { url: string };
    const opened = await open(linkPath(link.url));
    expect((await verify(opened.cookie)).status).toBe(200);
    clock += 61 * 60 * 1000;
    expect((await verify(opened.cookie)).status).toBe(302);
    expect((await open(linkPath(link.url))).posted.status).toBe(404);
  });

  it('revoking ends the sessions it opened at once', async () => {
    const res = await create({ name: 'revoke me', expires_in_hours: 24, max_uses: null });
    const link = (await res.json()) as { id: number; url: string };
    const a = await open(linkPath(link.url));
    const b = await open(linkPath(link.url));
    expect((await verify(a.cookie)).status).toBe(200);
    expect((await verify(b.cookie)).status).toBe(200);
    const revoked = await env.call('DELETE', `/api/v1/routes/${route.id}/share-links/${link.id}`, { token });
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as { status: string }).status).toBe('revoked');
    expect((await verify(a.cookie)).status).toBe(302);
    expect((await verify(b.cookie)).status).toBe(302);
    expect((await open(linkPath(link.url))).posted.status).toBe(404);
  });

  it('refuses hostile values and forged or foreign tokens', async () => {
    for (const body of [
      { name: '', expires_in_hours: 1 },
      { name: 'x'.repeat(101), expires_in_hours: 1 },
      { name: 'bell\u0007', expires_in_hours: 1 },
      { name: 'ok', expires_in_hours: 0 },
      { name: 'ok', expires_in_hours: 24 * 31 },
      { name: 'ok', expires_in_hours: 1.5 },
      { name: 'ok', expires_in_hours: 1, max_uses: 0 },
      { name: 'ok', expires_in_hours: 1, max_uses: -1 },
      { name: 'ok', expires_in_hours: 1, extra: true },
      { name: 'ok', expires_in_hours: '1' },
    ]) {
      const res = await create(body);
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
    for (const path of [
      '/.gatehouse/share/ghs_forged',
      `/.gatehouse/share/ghs_${'A'.repeat(43)}`,
      `/.gatehouse/share/${'x'.repeat(5000)}`,
      '/.gatehouse/share/%00',
    ]) {
      const { page, posted, cookie } = await open(path);
      expect(page.status, path.slice(0, 60)).toBe(404);
      expect(posted.status).toBe(404);
      expect(cookie).toBeUndefined();
    }
    // Another route's link does not open this route.
    const other = await env.call('POST', '/api/v1/routes', {
      token,
      body: {
        domain: 'other.example.com',
        target_host: '10.0.0.6',
        target_port: 80,
        auth_enabled: true,
        auth_password: 'another shared password',
      },
    });
    const otherId = ((await other.json()) as { id: number }).id;
    const foreign = await env.call('POST', `/api/v1/routes/${otherId}/share-links`, {
      token,
      body: { name: 'other', expires_in_hours: 1 },
    });
    const foreignUrl = ((await foreign.json()) as { url: string }).url;
    expect((await open(linkPath(foreignUrl))).posted.status).toBe(404);
    // A route without a login cannot have share links.
    const open404 = await env.call('POST', '/api/v1/routes', {
      token,
      body: { domain: 'public.example.com', target_host: '10.0.0.7', target_port: 80 },
    });
    const publicId = ((await open404.json()) as { id: number }).id;
    const refused = await env.call('POST', `/api/v1/routes/${publicId}/share-links`, {
      token,
      body: { name: 'x', expires_in_hours: 1 },
    });
    expect(refused.status).toBe(409);
  });
});
