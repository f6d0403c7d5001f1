// Item 13: a used admin TOTP code is refused the second time, through the API login and the dashboard login.
// Real: the Hono app (API login, dashboard login pages), the session and TOTP services, a libSQL temp file.
// Simulated: the clock (fixed inside one 30 s step), client addresses, the authenticator app (otpauth).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, adminWithTotp, apiLogin, browser } from '../helpers/admin-login.ts';
import { testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let time: number;
let totp: Awaited<ReturnType<typeof adminWithTotp>>;
const now = () => new Date(time);

beforeEach(async () => {
  time = Date.parse('2026-11-21T12:00:05Z');
  env = await testApp({ now });
  totp = await adminWithTotp(env, now);
  time += 60_000; // a step the enrollment has not used
});
afterEach(() => env.cleanup());

describe('admin TOTP replay', () => {
  it('API login: the same code is accepted once and refused the second time', async () => {
    const code = totp.codeAt(now());
    expect((await apiLogin(env, '198.51.100.1', { ...ADMIN, totp_code: code })).status).toBe(200);
    time += 5_000; // same 30 s step
    const again = await apiLogin(env, '198.51.100.2', { ...ADMIN, totp_code: code });
    expect(again.status).toBe(401);
  });

  it('dashboard login: the same code is accepted once and refused the second time', async () => {
    const code = totp.codeAt(now());
    const first = browser(env, '198.51.100.3');
    expect((await first.password(ADMIN.password)).status).toBe(200);
    expect((await first.totp(code)).status).toBe(303);
    time += 5_000;
    const second = browser(env, '198.51.100.4');
    expect((await second.password(ADMIN.password)).status).toBe(200);
    const replay = await second.totp(code);
    expect(replay.status).toBe(422);
    expect(await replay.text()).toContain('not valid');
  });

  it('a code used in the dashboard is refused by the API, and the other way round', async () => {
    const code = totp.codeAt(now());
    const b = browser(env, '198.51.100.5');
    expect((await b.password(ADMIN.password)).status).toBe(200);
    expect((await b.totp(code)).status).toBe(303);
    expect((await apiLogin(env, '198.51.100.6', { ...ADMIN, totp_code: code })).status).toBe(401);
    time += 30_000;
    const next = totp.codeAt(now());
    expect((await apiLogin(env, '198.51.100.6', { ...ADMIN, totp_code: next })).status).toBe(200);
    const c = browser(env, '198.51.100.7');
    expect((await c.password(ADMIN.password)).status).toBe(200);
    expect((await c.totp(next)).status).toBe(422);
  });
});
