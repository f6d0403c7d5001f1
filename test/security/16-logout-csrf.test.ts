// Item 16: logging out is a state-changing request like any other: with a session cookie it needs the
// session's CSRF token, in the API and in the dashboard (whose own logout form sends it).
// Real: the Hono app (API auth endpoints, dashboard pages), the session services, a libSQL temp file.
// Simulated: client addresses (the Node server's socket binding).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bootstrapAdmin } from '../../src/services/admin/bootstrap.ts';
import { ADMIN, apiLogin, browser } from '../helpers/admin-login.ts';
import { systemContext, testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;

beforeEach(async () => {
  env = await testApp();
  await bootstrapAdmin({ ctx: systemContext(env) });
});
afterEach(() => env.cleanup());

/** API login → the session cookie (name=value) and its CSRF token. */
async function apiSession() {
  const res = await apiLogin(env, '198.51.100.1', ADMIN);
  expect(res.status).toBe(200);
  const cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
  const { csrf_token } = (await res.json()) as { csrf_token: string };
  return { cookie, csrf: csrf_token };
}

const me = (cookie: string) => env.app.request('/api/v1/me', { headers: { cookie } });
const logout = (headers: Record<string, string>) => env.app.request('/api/v1/auth/logout', { method: 'POST', headers });

describe('POST /api/v1/auth/logout', () => {
  it('refuses a logout without the CSRF token (403), and the session stays valid', async () => {
    const { cookie } = await apiSession();
    const res = await logout({ cookie });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    expect((await me(cookie)).status).toBe(200);
    const wrong = await logout({ cookie, 'x-csrf-token': 'not-the-token' });
    expect(wrong.status).toBe(403);
    expect((await me(cookie)).status).toBe(200);
  });

  it('logs out with the token: 204, the cookie is cleared and the session is gone', async () => {
    const { cookie, csrf } = await apiSession();
    const res = await logout({ cookie, 'x-csrf-token': csrf });
    expect(res.status).toBe(204);
    expect(res.headers.getSetCookie().join('\n')).toMatch(/Max-Age=0/i);
    expect((await me(cookie)).status).toBe(401);
  });

  it('answers 204 when there is no live session to end (nothing to forge)', async () => {
    expect((await logout({})).status).toBe(204);
    expect((await logout({ cookie: 'gatehouse_session=unknown' })).status).toBe(204);
  });
});

describe('dashboard logout', () => {
  it('its own form sends the token and logs out; a post without it is refused', async () => {
    const b = browser(env, '198.51.100.2');
    expect((await b.password(ADMIN.password)).status).toBe(303);
    const page = await (await b.request('GET', '/')).text();
    const form = /<form method="post" action="\/logout"[^>]*>([\s\S]*?)<\/form>/.exec(page)?.[1] ?? '';
    const csrf = b.csrfOf(form);
    expect(csrf, 'the logout form carries the CSRF token').not.toBe('');
    expect((await b.request('POST', '/logout', {})).status).toBe(403);
    expect((await b.request('GET', '/')).status).toBe(200);
    const out = await b.request('POST', '/logout', { _csrf: csrf });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/login?out=1');
    expect((await b.request('GET', '/')).status).toBe(303);
  });
});
