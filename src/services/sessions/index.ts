import { and, eq, gt, isNull, lt } from 'drizzle-orm';
import { verifyPasswordOrDummy } from '../../auth/passwords.ts';
import { secretBoxFor } from '../../auth/secret-box.ts';
import { sha256Hex } from '../../auth/secrets.ts';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../db/index.ts';
import { adminPasskeys, adminSessions, adminUsers } from '../../db/schema/index.ts';
import { AppError, UnauthorizedError } from '../../errors.ts';
import { consumeRecoveryCode } from '../admin/recovery-codes.ts';
import { consumeAdminTotp } from '../admin/totp-step.ts';
import { passwordLoginRefused } from '../identity-providers/sso-only.ts';
import { usernameIs } from '../users/by-name.ts';
import { auditLoginFailure, startAdminSession } from './start.ts';

export { SESSION_TTL_MS } from './start.ts';

/**
 * Password (+ TOTP when enabled) → a new session. Every failure is audit-logged and answered with the
 * same message, so the response never tells which part was wrong.
 */
export async function login({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: {
    username: string;
    password: string;
    totp_code?: string | undefined;
    recovery_code?: string | undefined;
    userAgent?: string | undefined;
  };
}) {
  const [found] = await ctx.db.select().from(adminUsers).where(usernameIs(input.username));
  // A disabled user (or one whose invite is still open) is treated like an unknown name, with the same work.
  const user = found && !found.disabledAt ? found : undefined;
  // Unknown names cost the same argon2 work as known ones: the timing must not tell which names exist.
  const passwordOk = await verifyPasswordOrDummy(user?.passwordHash, input.password);
  const fail = async (reason: string) => {
    await auditLoginFailure(ctx, {
      resourceType: 'admin_user',
      actorUser: input.username.slice(0, 64),
      after: { username: input.username, reason },
    });
  };
  if (await passwordLoginRefused(ctx, user)) {
    await fail('sso_only');
    throw new UnauthorizedError('passwords are turned off (SSO only): log in through the identity provider');
  }
  if (!user || !passwordOk) {
    await fail('bad_credentials');
    throw new UnauthorizedError('invalid username or password');
  }
  let secondFactor: 'totp' | 'recovery_code' | undefined;
  const hasTotp = Boolean(user.totpEnabled && user.totpSecret);
  const [passkey] = await ctx.db
    .select({ id: adminPasskeys.id })
    .from(adminPasskeys)
    .where(eq(adminPasskeys.userId, user.id))
    .limit(1);
  if (hasTotp || passkey) {
    // `totp_required` means "a second factor is required" (kept for API clients); `passkey` says one is registered.
    const needs = { totp_required: true, totp: hasTotp, passkey: Boolean(passkey) };
    if (!input.totp_code && !input.recovery_code)
      throw new AppError(
        'unauthorized',
        hasTotp
          ? 'a TOTP code (or a recovery code) is required'
          : 'this account confirms logins with a passkey: log in on the dashboard (API clients use tokens)',
        needs,
      );
    const accepted = !hasTotp
      ? false
      : input.totp_code
        ? await consumeAdminTotp(ctx.db, user, input.totp_code, ctx.now(), secretBoxFor(ctx.config))
        : await consumeRecoveryCode(ctx.db, user.id, input.recovery_code ?? '', ctx.now());
    if (!accepted) {
      await fail(input.totp_code ? 'bad_totp' : 'bad_recovery_code');
      throw new UnauthorizedError(input.totp_code ? 'invalid TOTP code' : 'invalid or already used recovery code');
    }
    secondFactor = input.totp_code ? 'totp' : 'recovery_code';
  }
  const now = ctx.now();
  const session = await ctx.db.transaction(async (tx) => {
    await tx.delete(adminSessions).where(lt(adminSessions.expiresAt, now));
    return startAdminSession({
      ctx,
      tx,
      user,
      userAgent: input.userAgent,
      after: secondFactor ? { second_factor: secondFactor } : undefined,
    });
  });
  return { ...session, user: { id: user.id, username: user.username, role: user.role } };
}

/** Session cookie → user (with their current role), or null when unknown, expired or the user is disabled. */
export async function authenticateSession({ db, token, now }: { db: Db; token: string; now: Date }) {
  const [row] = await db
    .select({
      session: adminSessions,
      user: { id: adminUsers.id, username: adminUsers.username, role: adminUsers.role },
    })
    .from(adminSessions)
    .innerJoin(adminUsers, eq(adminUsers.id, adminSessions.userId))
    .where(
      and(eq(adminSessions.id, sha256Hex(token)), gt(adminSessions.expiresAt, now), isNull(adminUsers.disabledAt)),
    );
  return row ?? null;
}

export async function logout({ db, token }: { db: Db; token: string }) {
  await db.delete(adminSessions).where(eq(adminSessions.id, sha256Hex(token)));
}
