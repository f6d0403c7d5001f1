// Issue 14: the admin changes their password (dashboard and API), TOTP recovery codes (shown once, single use,
// accepted at the TOTP step of both logins, regenerated with the password).
// Real: the Hono app (dashboard pages, API), the services, a libSQL temp file. Simulated: the clock, client
// addresses, the authenticator app (otpauth).
import { eq } from 'drizzle-orm';
import * as OTPAuth from 'otpauth';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adminRecoveryCodes, auditLog } from '../../src/db/schema/index.ts';
import { bootstrapAdmin } from '../../src/services/admin/bootstrap.ts';
import { ADMIN, apiLogin, browser, from } from '../helpers/admin-login.ts';
import { systemContext, testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let time: number;
const now = () => new Date(time);

beforeEach(async () => {
  time = Date.parse('2026-11-21T12:00:05Z');
  env = await testApp({ now });
  await bootstrapAdmin({ ctx: systemContext(env, now) });
});
afterEach(() => env.cleanup());

/** A browser logged in with the password (the admin has no TOTP yet), and a POST helper for the account page. */
async function loggedIn(address: string) {
  const b = browser(env, address);
  expect((await b.password(ADMIN.password)).status).toBe(303);
  const post = async (url: string, form: Record<string, string>) => {
    const csrf = b.csrfOf(await (await b.request('GET', '/account')).text());
    return b.request('POST', url, { _csrf: csrf, ...form });
  };
  return { ...b, post };
}

const actions = async () => (await env.db.select().from(auditLog)).map((a) => a.action);

describe('change password in the dashboard', () => {
  it('refuses a mismatch, a short or hostile new password and a wrong current one, changing nothing', async () => {
    const b = await loggedIn('198.51.100.10');
    const base = { current_password: ADMIN.password };
    const mismatch = await b.post('/account/password', {
      ...base,
      new_password: 'a'.repeat(14),
      confirm_password: 'b'.repeat(14),
    });
    expect(mismatch.status).toBe(422);
    expect(await mismatch.text()).toContain('does not match the new password');
    const short = await b.post('/account/password', { ...base, new_password: 'short', confirm_password: 'short' });
    expect(await short.text()).toContain('must be at least 12 characters');
    const control = 'twelve chars\u0000long';
    const hostile = await b.post('/account/password', { ...base, new_password: control, confirm_password: control });
    expect(hostile.status).toBe(422);
    expect(await hostile.text()).toContain('control characters');
    const huge = 'x'.repeat(5000);
    expect(
      await (await b.post('/account/password', { ...base, new_password: huge, confirm_password: huge })).text(),
    ).toContain('at most 1024');
    const wrong = await b.post('/account/password', {
      current_password: 'not the password',
      new_password: 'a new long password',
      confirm_password: 'a new long password',
    });
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).toContain('is not your current password');
    expect(await actions()).not.toContain('admin.password_changed');
    expect((await apiLogin(env, '198.51.100.11', ADMIN)).status).toBe(200);
  });

  it('changes the password, ends the other sessions, keeps this one and writes an audit entry', async () => {
    const other = await loggedIn('198.51.100.12');
    const b = await loggedIn('198.51.100.13');
    const res = await b.post('/account/password', {
      current_password: ADMIN.password,
      new_password: 'a brand new password',
      confirm_password: 'a brand new password',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/account?done=password-changed');
    expect(await (await b.request('GET', '/account?done=password-changed')).text()).toContain('Password changed');
    // The other browser is out; this one is still in.
    expect((await other.request('GET', '/account')).status).toBe(303);
    expect((await b.request('GET', '/api/v1/me')).status).toBe(200);
    expect((await apiLogin(env, '198.51.100.14', ADMIN)).status).toBe(401);
    expect((await apiLogin(env, '198.51.100.14', { ...ADMIN, password: 'a brand new password' })).status).toBe(200);
    const [entry] = await env.db.select().from(auditLog).where(eq(auditLog.action, 'admin.password_changed'));
    expect(entry?.after).toEqual({ other_sessions_ended: 1 });
  });

  it('wrong current passwords are throttled like logins (429 with Retry-After)', async () => {
    const b = await loggedIn('198.51.100.15');
    const attempt = () =>
      b.post('/account/password', {
        current_password: 'guess guess guess',
        new_password: 'a new long password',
        confirm_password: 'a new long password',
      });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await attempt()).status);
    expect(statuses.slice(0, 5)).toEqual([422, 422, 422, 422, 422]);
    expect(statuses.at(-1)).toBe(429);
    // The same client's logins wait too: a guess counts the same through every door.
    expect((await apiLogin(env, '198.51.100.15', ADMIN)).status).toBe(429);
  });
});

describe('change password through the API', () => {
  it('POST /api/v1/auth/password: a session with its CSRF header changes it; a token cannot', async () => {
    const login = await apiLogin(env, '198.51.100.20', ADMIN);
    const { csrf_token } = (await login.json()) as { csrf_token: string };
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const call = (body: unknown, headers: Record<string, string>) =>
      env.app.request(
        '/api/v1/auth/password',
        { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) },
        from('198.51.100.20'),
      );
    const token = await env.tokenFor('admin');
    const body = { current_password: ADMIN.password, new_password: 'an API set password' };
    expect((await call(body, { authorization: `Bearer ${token}` })).status).toBe(403);
    expect((await call(body, { cookie })).status).toBe(403); // no CSRF header
    const bad = await call({ ...body, new_password: 'short' }, { cookie, 'x-csrf-token': csrf_token });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(await bad.json())).toContain('new_password');
    const extra = await call({ ...body, admin: true }, { cookie, 'x-csrf-token': csrf_token });
    expect(extra.status).toBe(422);
    const ok = await call(body, { cookie, 'x-csrf-token': csrf_token });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ other_sessions_ended: 0 });
    expect((await apiLogin(env, '198.51.100.21', { ...ADMIN, password: 'an API set password' })).status).toBe(200);
  });
});

describe('TOTP recovery codes', () => {
  /** Enrols TOTP through the dashboard; returns the codes the page showed and a TOTP code generator. */
  async function enrol(b: Awaited<ReturnType<typeof loggedIn>>) {
    await b.post('/account/totp/start', {});
    const html = await (await b.request('GET', '/account')).text();
    const secret = /<code class="secret">([A-Z2-7]+)<\/code>/.exec(html)![1]!;
    const app = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
    const res = await b.post('/account/totp/confirm', { code: app.generate({ timestamp: time }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const page = await res.text();
    const codes = [...page.matchAll(/<li><code class="secret">([a-z2-9-]+)<\/code><\/li>/g)].map((m) => m[1]!);
    return { codes, page, app };
  }

  it('are shown once at enrolment, stored hashed, and each logs in once (dashboard and API)', async () => {
    const b = await loggedIn('198.51.100.30');
    const { codes, page } = await enrol(b);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    expect(page).toContain('shown only this once');
    const stored = await env.db.select().from(adminRecoveryCodes);
    expect(stored).toHaveLength(10);
    for (const row of stored) expect(codes).not.toContain(row.codeHash);
    // Never again: the account page shows only how many are left.
    const later = await (await b.request('GET', '/account')).text();
    expect(later).not.toContain(codes[0]!);
    expect(later).toMatch(/Recovery codes left: <strong>10<\/strong>/);

    // Dashboard login with a code (typed in upper case with spaces: normalised), then its reuse refused.
    const d1 = browser(env, '198.51.100.31');
    expect((await d1.password(ADMIN.password)).status).toBe(200);
    expect((await d1.totp(` ${codes[0]!.toUpperCase()} `)).status).toBe(303);
    const d2 = browser(env, '198.51.100.32');
    await d2.password(ADMIN.password);
    expect((await d2.totp(codes[0]!)).status).toBe(422);

    // API login with another code; reuse refused; a used dashboard code is refused here too.
    expect((await apiLogin(env, '198.51.100.33', { ...ADMIN, recovery_code: codes[1]! })).status).toBe(200);
    expect((await apiLogin(env, '198.51.100.34', { ...ADMIN, recovery_code: codes[1]! })).status).toBe(401);
    expect((await apiLogin(env, '198.51.100.34', { ...ADMIN, recovery_code: codes[0]! })).status).toBe(401);
    // Hostile values are simply wrong codes.
    for (const hostile of ["' or 1=1 --", 'x'.repeat(64), '%00%00', '1234567890'])
      expect((await apiLogin(env, '198.51.100.35', { ...ADMIN, recovery_code: hostile })).status).toBe(401);
    expect((await apiLogin(env, '198.51.100.35', { ...ADMIN, recovery_code: 'x'.repeat(65) })).status).toBe(422);

    expect(await (await b.request('GET', '/account')).text()).toMatch(/Recovery codes left: <strong>8<\/strong>/);
    const logins = (await env.db.select().from(auditLog).where(eq(auditLog.action, 'auth.login'))).map((a) => a.after);
    expect(logins).toContainEqual({ second_factor: 'recovery_code' });
  });

  it('regenerating needs the password and makes the old codes worthless; turning TOTP off deletes them', async () => {
    const b = await loggedIn('198.51.100.40');
    const { codes: old, app } = await enrol(b);
    const wrong = await b.post('/account/recovery-codes', { password: 'not my password' });
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).toContain('is not your current password');
    const res = await b.post('/account/recovery-codes', { password: ADMIN.password });
    expect(res.status).toBe(200);
    const fresh = [...(await res.text()).matchAll(/<li><code class="secret">([a-z2-9-]+)<\/code><\/li>/g)].map(
      (m) => m[1]!,
    );
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(old[0]);
    expect((await apiLogin(env, '198.51.100.41', { ...ADMIN, recovery_code: old[2]! })).status).toBe(401);
    expect((await apiLogin(env, '198.51.100.42', { ...ADMIN, recovery_code: fresh[0]! })).status).toBe(200);
    expect(await actions()).toContain('admin.recovery_codes_regenerated');

    time += 60_000;
    const off = await b.post('/account/totp/disable', { code: app.generate({ timestamp: time }) });
    expect(off.status).toBe(303);
    expect(await env.db.select().from(adminRecoveryCodes)).toHaveLength(0);
  });
});
