// Item 10: route login throttles never lock out a client that has not failed. Buckets per client on a route
// (IPv6 per /64) and per account (route user, or the shared password), backoff with a bounded delay for the
// account, and a success clears only its own client's bucket on its own route.
// Real: the Hono app (route login pages and the forward-auth verify endpoint), route and route-user services,
// a libSQL temp file. Simulated: the clock, and Caddy: each request carries the client address and the
// per-install proxy secret the way Caddy forwards them (src/http/client.ts believes the address only with it).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let time: number;
const SHARED = 'a long shared password';
const PROXY_SECRET = 'test-proxy-secret-0123456789abcdef';

async function createRoute(
  domain: string,
  users: { username: string; password: string }[] = [],
  extra: Record<string, unknown> = {},
) {
  const token = await env.tokenFor('write');
  const res = await env.call('POST', '/api/v1/routes', {
    token,
    body: {
      domain,
      target_host: '10.0.0.5',
      target_port: 80,
      ...(users.length ? {} : { auth_enabled: true, auth_password: SHARED, ...extra }),
    },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const id = ((await res.json()) as { id: number }).id;
  for (const user of users) {
    const created = await env.call('POST', `/api/v1/routes/${id}/auth-users`, { token, body: user });
    expect(created.status, await created.clone().text()).toBe(201);
  }
  if (users.length) {
    const body = { auth_enabled: true, ...extra };
    const enabled = await env.call('PUT', `/api/v1/routes/${id}`, { token, body });
    expect(enabled.status, await enabled.clone().text()).toBe(200);
  }
  return { id, domain };
}

/** One login attempt on a route's login page, as Caddy forwards it for client `ip`. */
async function routeLogin(route: { id: number; domain: string }, ip: string, password: string, username = '') {
  const csrf = 'c'.repeat(40);
  const res = await env.app.request('/.gatehouse/login', {
    method: 'POST',
    headers: {
      host: route.domain,
      'x-gatehouse-route': String(route.id),
      'x-gatehouse-client-ip': ip,
      'x-gatehouse-proxy-secret': PROXY_SECRET,
      'content-type': 'application/x-www-form-urlencoded',
      cookie: `__Host-gatehouse_csrf=${csrf}`,
    },
    body: new URLSearchParams({ csrf, username, password, rd: '/' }).toString(),
  });
  return res;
}

/** One basic-auth request, as Caddy's forward auth sends it for client `ip`. */
function basicAuth(route: { id: number; domain: string }, ip: string, username: string, password: string) {
  return env.app.request('/auth/verify', {
    headers: {
      'x-forwarded-host': route.domain,
      'x-gatehouse-route': String(route.id),
      'x-gatehouse-client-ip': ip,
      'x-gatehouse-proxy-secret': PROXY_SECRET,
      'x-forwarded-uri': '/',
      authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
    },
  });
}

beforeEach(async () => {
  time = Date.parse('2026-11-21T12:00:00Z');
  env = await testApp({ now: () => new Date(time), proxySecret: PROXY_SECRET });
});
afterEach(() => env.cleanup());

describe('route login throttles', () => {
  it('one wrong guess a minute from rotating /64s for 70 minutes cannot lock a fresh client out', async () => {
    const route = await createRoute('shared.example.com');
    for (let i = 0; i < 70; i++) {
      await routeLogin(route, `2001:db8:${(i % 7).toString(16)}:${i.toString(16)}::1`, `guess ${i}`);
      time += 60_000;
    }
    time -= 30_000; // between two guesses, when the old per-route bucket was closed
    const fresh = await routeLogin(route, '203.0.113.20', SHARED);
    expect(fresh.status, `Retry-After: ${fresh.headers.get('retry-after')}`).toBe(303);
    const otherFresh = await routeLogin(route, '2001:db8:99:1::5', SHARED);
    expect(otherFresh.status).toBe(303);
  });

  it('an attacker rotating /64s of one network is slowed on the account it targets, with a bounded delay', async () => {
    const route = await createRoute('users.example.com', [
      { username: 'alice', password: 'alice has a long password' },
      { username: 'bob', password: 'bob has a long password too' },
    ]);
    const waits: number[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await routeLogin(route, `2001:db8:5:${i.toString(16)}::1`, `guess ${i}`, 'alice');
      if (res.status === 429) waits.push(Number(res.headers.get('retry-after')));
      time += 1_000;
    }
    expect(waits.length, 'the account is slowed down').toBeGreaterThan(0);
    expect(Math.max(...waits), 'a delay, not a lock').toBeLessThanOrEqual(60);
    // Another account on the route, and the same account from a client that has not failed: no delay.
    expect((await routeLogin(route, '2001:db8:5:ff::1', 'bob has a long password too', 'bob')).status).toBe(303);
    expect((await routeLogin(route, '198.51.100.30', 'alice has a long password', 'alice')).status).toBe(303);
  });

  it('a success on route A does not reset the failures the same client has on route B', async () => {
    const a = await createRoute('a.example.com');
    const b = await createRoute('b.example.com');
    const ip = '198.51.100.40';
    for (let i = 0; i < 5; i++) expect((await routeLogin(b, ip, `wrong ${i}`)).status).toBe(401);
    expect((await routeLogin(a, ip, SHARED)).status).toBe(303);
    expect((await routeLogin(b, ip, 'wrong again')).status).toBe(401);
    const blocked = await routeLogin(b, ip, SHARED);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('a client that failed on route B is not slowed on route A', async () => {
    const a = await createRoute('a2.example.com');
    const b = await createRoute('b2.example.com');
    const ip = '198.51.100.41';
    for (let i = 0; i < 8; i++) await routeLogin(b, ip, `wrong ${i}`);
    expect((await routeLogin(b, ip, SHARED)).status).toBe(429);
    expect((await routeLogin(a, ip, SHARED)).status).toBe(303);
  });

  it('basic auth: user names made up for each guess still count against the shared password', async () => {
    const route = await createRoute('basic.example.com', [{ username: 'carol', password: 'carol has a long one' }], {
      basic_auth_enabled: true,
      auth_password: SHARED,
    });
    const statuses: number[] = [];
    for (let i = 0; i < 30 && !statuses.includes(429); i++) {
      statuses.push((await basicAuth(route, `2001:db8:6:${i.toString(16)}::1`, `name${i}`, `guess ${i}`)).status);
    }
    expect(statuses, `statuses: ${statuses.join(',')}`).toContain(429);
    expect((await basicAuth(route, '198.51.100.50', 'anyone', SHARED)).status).toBe(200);
  });
});
