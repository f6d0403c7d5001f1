// Item 1: an admin's TOTP code cannot be brute-forced. Failures count per client and per account until the
// whole login (password and code) has succeeded, in the dashboard and the API alike; a correct password alone
// clears nothing.
// Real: the Hono app (dashboard login pages and the API login), the session services, a libSQL temp file.
// Simulated: client addresses (the Node server's socket binding), the clock, the authenticator app (otpauth).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, adminWithTotp, apiLogin, browser } from '../helpers/admin-login.ts';
import { testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let time: number;
let totp: Awaited<ReturnType<typeof adminWithTotp>>;
const now = () => new Date(time);

beforeEach(async () => {
  time = Date.now();
  env = await testApp({ now });
  totp = await adminWithTotp(env, now);
  time += 60_000; // past the step the enrollment consumed
});
afterEach(() => env.cleanup());

describe('admin TOTP brute force', () => {
  it('dashboard: a correct password does not reset the failures, and wrong codes end in 429', async () => {
    const attacker = browser(env, '198.51.100.7');
    const statuses: number[] = [];
    // The attacker knows the password and guesses codes; each dead pending login is restarted by the password.
    for (let i = 0; i < 12 && !statuses.includes(429); i++) {
      const pw = await attacker.password(ADMIN.password);
      if (pw.status === 429) {
        statuses.push(429);
        break;
      }
      expect(pw.status, 'the password is right').toBe(200);
      statuses.push((await attacker.totp(totp.wrongCode(now()))).status);
    }
    expect(statuses, `statuses: ${statuses.join(',')}`).toContain(429);
    expect(statuses.filter((s) => s !== 429).length).toBeLessThanOrEqual(6);
  });

  it('dashboard: the TOTP step answers 429 with Retry-After once the client has failed too often', async () => {
    const attacker = browser(env, '198.51.100.8');
    expect((await attacker.password(ADMIN.password)).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await attacker.totp(totp.wrongCode(now()))).status);
    // Two more wrong passwords: six failures in all, the count was not cleared by the right password.
    for (let i = 0; i < 2; i++) statuses.push((await attacker.password('wrong password')).status);
    expect((await attacker.password(ADMIN.password)).status).toBe(429);
    const res = await attacker.totp(totp.codeAt(now()));
    expect(res.status, `statuses before: ${statuses.join(',')}`).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('API and dashboard share the count: wrong codes through the API throttle the dashboard TOTP step', async () => {
    const address = '198.51.100.9';
    for (let i = 0; i < 5; i++) {
      const res = await apiLogin(env, address, { ...ADMIN, totp_code: totp.wrongCode(now()) });
      expect(res.status).toBe(401);
    }
    const b = browser(env, address);
    const pw = await b.password(ADMIN.password);
    expect(pw.status, 'password step still free (5 failures)').toBe(200);
    expect((await b.totp(totp.wrongCode(now()))).status).toBe(422);
    const blocked = await b.totp(totp.codeAt(now()));
    expect(blocked.status).toBe(429);
    const api = await apiLogin(env, address, { ...ADMIN, totp_code: totp.codeAt(now()) });
    expect(api.status).toBe(429);
    expect(Number(api.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('per account: guesses from rotating /64s of one network slow the account down; another client is not', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 30 && !statuses.includes(429); i++) {
      const res = await apiLogin(env, `2001:db8:77:${i.toString(16)}::1`, {
        ...ADMIN,
        totp_code: totp.wrongCode(now()),
      });
      statuses.push(res.status);
    }
    expect(statuses, `statuses: ${statuses.join(',')}`).toContain(429);
    // A client from elsewhere that has not failed logs in at once.
    time += 30_000;
    const fresh = await apiLogin(env, '203.0.113.50', { ...ADMIN, totp_code: totp.codeAt(now()) });
    expect(fresh.status).toBe(200);
  });

  it('a whole login succeeds after the wait, and clears that client only', async () => {
    const address = '198.51.100.10';
    for (let i = 0; i < 6; i++) await apiLogin(env, address, { ...ADMIN, totp_code: totp.wrongCode(now()) });
    expect((await apiLogin(env, address, { ...ADMIN, totp_code: totp.codeAt(now()) })).status).toBe(429);
    time += 5 * 60_000; // the throttles run on the server's clock
    expect((await apiLogin(env, address, { ...ADMIN, totp_code: totp.codeAt(now()) })).status).toBe(200);
  });
});
