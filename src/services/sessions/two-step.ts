import { and, eq, gt, isNull } from 'drizzle-orm';
import { secretBoxFor } from '../../auth/secret-box.ts';
import { randomSecret, sha256Hex } from '../../auth/secrets.ts';
import type { ServiceContext } from '../../context.ts';
import { adminSessions, adminUsers } from '../../db/schema/index.ts';
import { AppError, UnauthorizedError } from '../../errors.ts';
import { consumeAdminSecondFactor } from '../admin/totp-step.ts';
import { usernameIs } from '../users/by-name.ts';
import { login } from './index.ts';
import { auditLoginFailure, startAdminSession } from './start.ts';

/** How long the TOTP step may take after a correct password. */
export const PENDING_TTL_MS = 5 * 60 * 1000;

/**
 * The dashboard's login in two steps, so the password never has to travel twice (or sit in a hidden field):
 * a correct password for an account with TOTP yields a pending session (`fullyAuthenticated` false, which
 * every authenticated endpoint refuses) that only `finishTotpLogin` can turn into a real one.
 */
export async function startLogin({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { username: string; password: string; userAgent?: string | undefined };
}): Promise<
  | { step: 'done'; token: string; csrfToken: string; expiresAt: Date }
  | { step: 'totp'; token: string; expiresAt: Date; factors: { totp: boolean; passkey: boolean } }
> {
  let factors = { totp: true, passkey: false };
  try {
    const session = await login({ ctx, input });
    return { step: 'done', token: session.token, csrfToken: session.csrfToken, expiresAt: session.expiresAt };
  } catch (err) {
    // login() checks the password before it asks for the code: totp_required means the password was right.
    if (!(err instanceof AppError && err.details?.totp_required === true)) throw err;
    factors = { totp: err.details.totp !== false, passkey: err.details.passkey === true };
  }
  const [user] = await ctx.db.select({ id: adminUsers.id }).from(adminUsers).where(usernameIs(input.username));
  if (!user) throw new UnauthorizedError('invalid username or password');
  const token = randomSecret(32);
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + PENDING_TTL_MS);
  await ctx.db.insert(adminSessions).values({
    id: sha256Hex(token),
    userId: user.id,
    fullyAuthenticated: false,
    csrfToken: randomSecret(24),
    createdAt: now,
    expiresAt,
    lastSeenAt: now,
    ip: ctx.ip ?? null,
    userAgent: input.userAgent ?? null,
  });
  return { step: 'totp', token, expiresAt, factors };
}

/** The user of a live pending login (password right, second factor to come), or null; the TOTP step is throttled under its name. */
export async function pendingLoginUser({ ctx, pendingToken }: { ctx: ServiceContext; pendingToken: string }) {
  const [row] = await ctx.db
    .select({ id: adminUsers.id, username: adminUsers.username })
    .from(adminSessions)
    .innerJoin(adminUsers, eq(adminUsers.id, adminSessions.userId))
    .where(
      and(
        eq(adminSessions.id, sha256Hex(pendingToken)),
        eq(adminSessions.fullyAuthenticated, false),
        gt(adminSessions.expiresAt, ctx.now()),
      ),
    );
  return row ?? null;
}

/**
 * Pending session + the current code (or an unused recovery code) → a new, full session (a new token: the pending one is deleted, so a
 * token seen before the second factor is worth nothing after it).
 */
export async function finishTotpLogin({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { pendingToken: string; code: string; userAgent?: string | undefined };
}) {
  const now = ctx.now();
  const [row] = await ctx.db
    .select({ session: adminSessions, user: adminUsers })
    .from(adminSessions)
    .innerJoin(adminUsers, eq(adminUsers.id, adminSessions.userId))
    .where(
      and(
        eq(adminSessions.id, sha256Hex(input.pendingToken)),
        eq(adminSessions.fullyAuthenticated, false),
        gt(adminSessions.expiresAt, now),
        isNull(adminUsers.disabledAt),
      ),
    );
  if (!row) throw new UnauthorizedError('the login has expired; enter your password again');
  const { user } = row;
  const secondFactor = await consumeAdminSecondFactor(ctx.db, user, input.code, now, secretBoxFor(ctx.config));
  if (!secondFactor) {
    await auditLoginFailure(ctx, {
      resourceType: 'admin_user',
      actorUser: user.username,
      after: { username: user.username, reason: 'bad_totp' },
    });
    throw new UnauthorizedError('invalid TOTP code');
  }
  return ctx.db.transaction(async (tx) => {
    await tx.delete(adminSessions).where(eq(adminSessions.id, row.session.id));
    return startAdminSession({ ctx, tx, user, userAgent: input.userAgent, after: { second_factor: secondFactor } });
  });
}
