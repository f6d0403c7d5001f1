// Real: src/auth/totp.ts, the admin login services and their libSQL database (a temp file, migrated).
// Simulated: the clock (a fixed time the test moves) and the authenticator app (otpauth generating codes).
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFreshStep, totpEnrollment, totpStep } from '../../src/auth/totp.ts';
import type { ServiceContext } from '../../src/context.ts';
import { UnauthorizedError } from '../../src/errors.ts';
import { bootstrapAdmin } from '../../src/services/admin/bootstrap.ts';
import { confirmTotpEnrollment, disableTotp, startTotpEnrollment } from '../../src/services/admin/totp.ts';
import { login } from '../../src/services/sessions/index.ts';
import { finishTotpLogin, startLogin } from '../../src/services/sessions/two-step.ts';
import { systemContext, testDb } from '../helpers/env.ts';

const START = new Date('2026-11-21T12:00:10Z').getTime();
const STEP_MS = 30_000;

function app(secret: string) {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 });
}

describe('totpStep', () => {
  const secret = new OTPAuth.Secret({ size: 20 }).base32;
  const now = new Date(START);
  it('returns the time step of a right code (±1 step), null for a wrong or malformed one', () => {
    const step = Math.floor(now.getTime() / STEP_MS);
    expect(totpStep(secret, app(secret).generate({ timestamp: now.getTime() }), now)).toBe(step);
    expect(totpStep(secret, app(secret).generate({ timestamp: now.getTime() - STEP_MS }), now)).toBe(step - 1);
    expect(totpStep(secret, app(secret).generate({ timestamp: now.getTime() - 3 * STEP_MS }), now)).toBeNull();
    expect(totpStep(secret, '12345', now)).toBeNull();
    expect(totpStep(secret, 'abcdef', now)).toBeNull();
  });

  it('ignores spaces, as users type codes in groups of three', () => {
    const code = app(secret).generate({ timestamp: now.getTime() });
    expect(totpStep(secret, `${code.slice(0, 3)} ${code.slice(3)}`, now)).toBe(Math.floor(now.getTime() / STEP_MS));
  });

  it('counts a step fresh only when it is later than the last one accepted', () => {
    expect(isFreshStep(10, null)).toBe(true);
    expect(isFreshStep(11, 10)).toBe(true);
    expect(isFreshStep(10, 10)).toBe(false);
    expect(isFreshStep(9, 10)).toBe(false);
    expect(isFreshStep(null, null)).toBe(false);
  });

  it('enrolls a new secret, or shows a pending one again', async () => {
    const fresh = await totpEnrollment({ issuer: 'Gatehouse', label: 'alice' });
    expect(fresh.otpauth_uri).toMatch(/^otpauth:\/\/totp\/Gatehouse:alice\?.*secret=/);
    expect(fresh.qr_svg).toMatch(/^<svg/);
    const again = await totpEnrollment({ issuer: 'Gatehouse', label: 'alice', secret: fresh.secret });
    expect(again.secret).toBe(fresh.secret);
  });
});

describe('admin TOTP replay protection', () => {
  let db: Awaited<ReturnType<typeof testDb>>;
  let time = START;
  let secret: string;
  let admin: ServiceContext;
  const credentials = { username: 'admin', password: 'correct horse battery' };
  const codeNow = () => app(secret).generate({ timestamp: time });

  beforeAll(async () => {
    db = await testDb();
    const system = systemContext(db, () => new Date(time));
    await bootstrapAdmin({ ctx: system });
    const { id } = await login({ ctx: system, input: credentials }).then((s) => s.user);
    admin = { ...system, actor: { kind: 'admin', id, username: credentials.username, role: 'owner' } };
    secret = (await startTotpEnrollment({ ctx: admin })).secret;
    await confirmTotpEnrollment({ ctx: admin, input: { code: codeNow() } });
  });
  afterAll(() => db?.cleanup());

  it('refuses the code that confirmed the enrollment', async () => {
    await expect(
      login({ ctx: systemContext(db, () => new Date(time)), input: { ...credentials, totp_code: codeNow() } }),
    ).rejects.toThrow(UnauthorizedError);
  });

  it('API login: accepts a code once and refuses it the second time', async () => {
    time += STEP_MS;
    const ctx = systemContext(db, () => new Date(time));
    const code = codeNow();
    await expect(login({ ctx, input: { ...credentials, totp_code: code } })).resolves.toMatchObject({
      user: { username: 'admin' },
    });
    await expect(login({ ctx, input: { ...credentials, totp_code: code } })).rejects.toThrow('invalid TOTP code');
    // Within its ±1 window, a code from an earlier step than the last accepted one is refused too.
    time += STEP_MS;
    const earlier = app(secret).generate({ timestamp: time - STEP_MS });
    await expect(login({ ctx, input: { ...credentials, totp_code: earlier } })).rejects.toThrow('invalid TOTP code');
  });

  it('dashboard login: the second step refuses a code already used', async () => {
    time += STEP_MS;
    const ctx = systemContext(db, () => new Date(time));
    const code = codeNow();
    const first = await startLogin({ ctx, input: credentials });
    expect(first.step).toBe('totp');
    await expect(finishTotpLogin({ ctx, input: { pendingToken: first.token, code } })).resolves.toHaveProperty('token');
    const second = await startLogin({ ctx, input: credentials });
    await expect(finishTotpLogin({ ctx, input: { pendingToken: second.token, code } })).rejects.toThrow(
      'invalid TOTP code',
    );
    // The API shares the same record: the code the dashboard used is spent there too.
    await expect(login({ ctx, input: { ...credentials, totp_code: code } })).rejects.toThrow('invalid TOTP code');
  });

  it('turning TOTP off needs a fresh code as well', async () => {
    const used = codeNow(); // spent by the dashboard login above
    await expect(disableTotp({ ctx: admin, input: { code: used } })).rejects.toThrow();
    time += STEP_MS;
    await expect(disableTotp({ ctx: admin, input: { code: codeNow() } })).resolves.toEqual({ enabled: false });
  });
});
