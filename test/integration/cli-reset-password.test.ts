// Issue 14: `gatehouse admin reset-password [USER] --disable-totp` lets a locked-out admin back in: a new
// password, TOTP off (secret and recovery codes cleared), every session ended, audit-logged, and it says so.
// Real: bin/gatehouse as a child process over a temp data dir (its database and secret.key), the services.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { createDb, migrateDb } from '../../src/db/index.ts';
import { adminRecoveryCodes, adminSessions, adminUsers, auditLog } from '../../src/db/schema/index.ts';
import { login } from '../../src/services/sessions/index.ts';
import { inviteUser } from '../../src/services/users/invite.ts';
import { ADMIN, adminWithTotp } from '../helpers/admin-login.ts';
import { systemContext, tempDir } from '../helpers/env.ts';

const run = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, '../../bin/gatehouse');

let data: ReturnType<typeof tempDir>;
beforeEach(() => {
  data = tempDir('gatehouse-cli-');
});
afterEach(() => data.cleanup());

/** Opens the data dir's database the way the server does; `use` runs with it open, then it is closed. */
async function withDb<T>(
  use: (h: { db: ReturnType<typeof createDb>['db']; config: ReturnType<typeof loadConfig> }) => Promise<T>,
) {
  const config = loadConfig({ GATEHOUSE_DATA_DIR: data.dir, GATEHOUSE_ADMIN_PASSWORD: ADMIN.password });
  const handle = createDb(config.db);
  await migrateDb(handle);
  try {
    return await use({ db: handle.db, config });
  } finally {
    handle.close();
  }
}

function gatehouse(args: string[]) {
  // Only what the command needs: no GATEHOUSE_ADMIN_PASSWORD, so it generates and prints one.
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', GATEHOUSE_DATA_DIR: data.dir };
  return run(BIN, args, { env, timeout: 60_000 }).then(
    (r) => ({ code: 0, ...r }),
    (err: { code: number; stdout: string; stderr: string }) => ({
      code: err.code,
      stdout: err.stdout,
      stderr: err.stderr,
    }),
  );
}

describe('gatehouse admin reset-password --disable-totp', () => {
  it('sets a new password, turns TOTP off, clears the recovery codes, ends the sessions and audits it', async () => {
    await withDb(async (h) => {
      await adminWithTotp(h, () => new Date());
      // The enrolment made the recovery codes (shown once); the flag must clear them.
      expect(await h.db.select().from(adminRecoveryCodes)).toHaveLength(10);
      const [user] = await h.db.select().from(adminUsers);
      expect(user!.totpEnabled).toBe(true);
    });

    const out = await gatehouse(['admin', 'reset-password', 'admin', '--disable-totp']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const password = /new password for admin: (\S+)/.exec(out.stdout)?.[1];
    expect(password).toMatch(/^\S{20}$/);
    expect(out.stdout).toContain('TOTP turned off for admin: secret and recovery codes cleared');
    expect(out.stdout).toContain('every session of admin has ended');

    await withDb(async (h) => {
      const [user] = await h.db.select().from(adminUsers);
      expect(user).toMatchObject({ totpEnabled: false, totpSecret: null, totpLastCounter: null });
      expect(await h.db.select().from(adminRecoveryCodes)).toHaveLength(0);
      expect(await h.db.select().from(adminSessions).where(eq(adminSessions.userId, user!.id))).toHaveLength(0);
      const audit = await h.db.select().from(auditLog);
      expect(audit.map((a) => a.action)).toEqual(
        expect.arrayContaining(['admin.reset_password', 'admin.totp_disabled']),
      );
      // The password alone logs in now: no TOTP step.
      const session = await login({ ctx: systemContext(h), input: { username: 'admin', password: password! } });
      expect(session.user.username).toBe('admin');
    });
  });

  it('without the flag TOTP stays on; an unknown user fails and changes nothing', async () => {
    await withDb((h) => adminWithTotp(h, () => new Date()));
    const unknown = await gatehouse(['admin', 'reset-password', 'nobody', '--disable-totp']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no admin user named "nobody"');
    const plain = await gatehouse(['admin', 'reset-password']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toContain('TOTP');
    await withDb(async (h) => {
      const [user] = await h.db.select().from(adminUsers);
      expect(user!.totpEnabled).toBe(true);
      expect(user!.totpSecret).not.toBeNull();
    });
  });

  it('is the break-glass for a locked-out team: --enable and --owner bring a disabled user back as an owner', async () => {
    await withDb(async (h) => {
      await adminWithTotp(h, () => new Date());
      const owner = { ...systemContext(h), actor: { kind: 'system' as const } };
      const invited = await inviteUser({
        ctx: owner,
        input: { username: 'ops', role: 'viewer', expires_in_hours: 1 },
        baseUrl: 'http://x',
      });
      await h.db.update(adminUsers).set({ disabledAt: new Date() }).where(eq(adminUsers.id, invited.id));
    });
    const out = await gatehouse(['admin', 'reset-password', 'OPS', '--enable', '--owner']);
    expect(out.stderr).toBe('');
    expect(out.stdout).toContain('OPS is enabled');
    expect(out.stdout).toContain('OPS is an owner');
    const password = /new password for OPS: (\S+)/.exec(out.stdout)?.[1];
    await withDb(async (h) => {
      const [user] = await h.db.select().from(adminUsers).where(eq(adminUsers.username, 'ops'));
      expect(user).toMatchObject({ role: 'owner', disabledAt: null });
      const session = await login({ ctx: systemContext(h), input: { username: 'ops', password: password! } });
      expect(session.user.role).toBe('owner');
    });
  });
});
