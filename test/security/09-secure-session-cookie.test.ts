// Issue 13, item 9: when the dashboard is served over HTTPS (through Caddy on the public domain) the admin
// session cookie is `__Host-gatehouse_session` with Secure, Path=/ and no Domain, and Caddy sends HSTS on the
// public domain. Over plain http on loopback (development) the cookie stays `gatehouse_session` without Secure,
// so the local dashboard keeps working.
// Real: the control plane in-process with the real Caddy binary and its internal CA (TLS on a test public
// domain, reached by SNI on 127.0.0.1), the dashboard's login form with its CSRF cookie, the API login, libSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieValue, httpsRequest, type Reply, startStackOnPublicDomain } from '../helpers/https-client.ts';
import type { Stack } from '../helpers/stack.ts';

const PUBLIC_DOMAIN = 'gatehouse.cookies.test';
const PASSWORD = 'correct horse battery staple';
const SECURE_NAME = '__Host-gatehouse_session';
let stack: Stack;

beforeAll(async () => {
  stack = await startStackOnPublicDomain(PUBLIC_DOMAIN);
});
afterAll(async () => {
  await stack?.stop();
});

const sessionCookie = (setCookies: string[], name: string) => setCookies.find((c) => c.startsWith(`${name}=`));

function expectHostCookie(reply: Reply) {
  const cookie = sessionCookie(reply.setCookies, SECURE_NAME);
  expect(cookie, reply.setCookies.join('\n')).toBeDefined();
  const attrs = cookie!.split(';').map((a) => a.trim().toLowerCase());
  expect(attrs).toContain('secure');
  expect(attrs).toContain('httponly');
  expect(attrs).toContain('path=/');
  expect(attrs).toContain('samesite=strict');
  expect(attrs.some((a) => a.startsWith('domain='))).toBe(false);
  expect(sessionCookie(reply.setCookies, 'gatehouse_session')).toBeUndefined();
}

describe('over HTTPS on the public domain', () => {
  it('the dashboard login sets a __Host- Secure cookie, sends HSTS, and the cookie opens the dashboard', async () => {
    const page = await httpsRequest(stack, PUBLIC_DOMAIN, { path: '/login' });
    expect(page.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    const csrfCookie = page.setCookies.find((c) => c.startsWith('gatehouse_login_csrf='));
    expect(csrfCookie?.toLowerCase()).toContain('secure');
    const csrf = cookieValue(page, 'gatehouse_login_csrf') ?? '';
    const login = await httpsRequest(stack, PUBLIC_DOMAIN, {
      method: 'POST',
      path: '/login',
      headers: { Cookie: `gatehouse_login_csrf=${csrf}` },
      form: { username: 'admin', password: PASSWORD, _csrf: csrf, next: '/' },
    });
    expect(login.status, login.body).toBe(303);
    expect(login.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    expectHostCookie(login);
    const token = cookieValue(login, SECURE_NAME)!;
    const home = await httpsRequest(stack, PUBLIC_DOMAIN, {
      path: '/',
      headers: { Cookie: `${SECURE_NAME}=${token}` },
    });
    expect(home.status).toBe(200);
    // Over HTTPS only the __Host- cookie counts: one without the prefix could have been planted by a sibling domain.
    const unprefixed = await httpsRequest(stack, PUBLIC_DOMAIN, {
      path: '/',
      headers: { Cookie: `gatehouse_session=${token}` },
    });
    expect(unprefixed.status).toBe(303);
    expect(unprefixed.headers.location).toMatch(/^\/login/);
  });

  it('the API login sets the same cookie, and the API accepts it', async () => {
    const login = await httpsRequest(stack, PUBLIC_DOMAIN, {
      method: 'POST',
      path: '/api/v1/auth/login',
      json: { username: 'admin', password: PASSWORD },
    });
    expect(login.status, login.body).toBe(200);
    expect(login.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    expectHostCookie(login);
    const token = cookieValue(login, SECURE_NAME)!;
    const me = await httpsRequest(stack, PUBLIC_DOMAIN, {
      path: '/api/v1/routes',
      headers: { Cookie: `${SECURE_NAME}=${token}` },
    });
    expect(me.status).toBe(200);
  });
});

describe('over plain http on loopback (development)', () => {
  it('the cookie is gatehouse_session without Secure, and no HSTS is sent', async () => {
    const res = await fetch(`${stack.server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    expect(res.status).toBe(200);
    const cookies = res.headers.getSetCookie();
    const cookie = sessionCookie(cookies, 'gatehouse_session');
    expect(cookie, cookies.join('\n')).toBeDefined();
    expect(cookie!.toLowerCase()).not.toContain('secure');
    expect(sessionCookie(cookies, SECURE_NAME)).toBeUndefined();
    expect(res.headers.get('strict-transport-security')).toBeNull();
    const token = cookie!.split(';')[0]!.slice('gatehouse_session='.length);
    const routes = await fetch(`${stack.server.url}/api/v1/routes`, {
      headers: { cookie: `gatehouse_session=${token}` },
    });
    expect(routes.status).toBe(200);
  });
});
