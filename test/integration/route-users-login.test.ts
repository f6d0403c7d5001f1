// Issue 14, broken item 1: per-user route login in a browser. The login page must ask for a username on a
// route that has users, whatever ids the route and its users happen to have (the user lookup once compared
// the users table's own id with itself, so it only worked where a user's id equalled the route's id).
// Real: the Hono app (route login pages), route and route-user services, a libSQL temp file whose tables
// hand out ids from different offsets (test/helpers/id-offsets.ts). Simulated: Caddy, as in
// test/security/10-route-login-throttle.test.ts: requests carry the route id, client address and proxy secret.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testApp } from '../helpers/env.ts';
import { ID_OFFSETS } from '../helpers/id-offsets.ts';

let env: Awaited<ReturnType<typeof testApp>>;
const PROXY_SECRET = 'test-proxy-secret-0123456789abcdef';
const CSRF = 'c'.repeat(40);

function forwarded(route: { id: number; domain: string }) {
  return {
    host: route.domain,
    'x-gatehouse-route': String(route.id),
    'x-gatehouse-client-ip': '198.51.100.7',
    'x-gatehouse-proxy-secret': PROXY_SECRET,
    cookie: `__Host-gatehouse_csrf=${CSRF}`,
  };
}

async function routeWithUser(domain: string, extra: Record<string, unknown> = {}) {
  const token = await env.tokenFor('write');
  // A route without users first, so the next route's id can never equal its first user's id by accident.
  const filler = await env.call('POST', '/api/v1/routes', {
    token,
    body: { domain: `filler-${domain}`, target_host: '10.0.0.5', target_port: 80 },
  });
  expect(filler.status, await filler.clone().text()).toBe(201);
  const res = await env.call('POST', '/api/v1/routes', {
    token,
    body: { domain, target_host: '10.0.0.5', target_port: 80 },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const id = ((await res.json()) as { id: number }).id;
  const user = await env.call('POST', `/api/v1/routes/${id}/auth-users`, {
    token,
    body: { username: 'alice', password: 'alice has a long password' },
  });
  expect(user.status, await user.clone().text()).toBe(201);
  const userId = ((await user.json()) as { id: number }).id;
  const enabled = await env.call('PUT', `/api/v1/routes/${id}`, { token, body: { auth_enabled: true, ...extra } });
  expect(enabled.status, await enabled.clone().text()).toBe(200);
  return { id, domain, userId };
}

beforeEach(async () => {
  env = await testApp({ proxySecret: PROXY_SECRET });
});
afterEach(() => env.cleanup());

describe('per-user route login', () => {
  it('a route user whose id differs from the route id sees a username field and can log in', async () => {
    const route = await routeWithUser('users.example.com');
    expect(route.userId, 'the fixture must not line ids up').not.toBe(route.id);
    const page = await env.app.request('/.gatehouse/login', { headers: forwarded(route) });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html, 'the login page asks for the username').toMatch(/<input id="username" name="username"[^>]*required/);
    const res = await env.app.request('/.gatehouse/login', {
      method: 'POST',
      headers: { ...forwarded(route), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: CSRF, username: 'alice', password: 'alice has a long password', rd: '/' }),
    });
    expect(res.status, await res.clone().text()).toBe(303);
    expect(res.headers.get('location')).toBe('/');
  });

  it('a password_totp route always asks for the username (only users have a second factor)', async () => {
    const route = await routeWithUser('totp.example.com', { auth_method: 'password_totp' });
    const html = await (await env.app.request('/.gatehouse/login', { headers: forwarded(route) })).text();
    expect(html).toMatch(/<input id="username" name="username"[^>]*required/);
    const res = await env.app.request('/.gatehouse/login', {
      method: 'POST',
      headers: { ...forwarded(route), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: CSRF, username: 'alice', password: 'alice has a long password', rd: '/' }),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/\.gatehouse\/totp/);
  });

  it('a route without users shows no username field', async () => {
    const token = await env.tokenFor('write');
    const res = await env.call('POST', '/api/v1/routes', {
      token,
      body: {
        domain: 'shared.example.com',
        target_host: '10.0.0.5',
        target_port: 80,
        auth_enabled: true,
        auth_password: 'a long shared password',
      },
    });
    const { id } = (await res.json()) as { id: number };
    const html = await (
      await env.app.request('/.gatehouse/login', { headers: forwarded({ id, domain: 'shared.example.com' }) })
    ).text();
    expect(html).toContain('id="password"');
    expect(html).not.toContain('id="username"');
  });

  it('test databases hand out ids from a different offset per table', async () => {
    const route = await routeWithUser('offsets.example.com');
    expect(route.id).toBeGreaterThan(ID_OFFSETS.routes!);
    expect(route.id).toBeLessThan(ID_OFFSETS.route_auth_users!);
    expect(route.userId).toBeGreaterThan(ID_OFFSETS.route_auth_users!);
    expect(route.userId).toBeLessThan(ID_OFFSETS.api_tokens!);
  });
});
