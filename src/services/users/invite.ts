import { and, eq, isNull } from 'drizzle-orm';
import { randomSecret, sha256Hex } from '../../auth/secrets.ts';
import { actorUserId, type ServiceContext } from '../../context.ts';
import type { DbOrTx } from '../../db/index.ts';
import { adminInvites, adminUsers } from '../../db/schema/index.ts';
import { ConflictError, ValidationError } from '../../errors.ts';
import type { InviteUserInput } from '../../schemas/users.ts';
import { recordAudit } from '../audit/record.ts';
import { usernameIs } from './by-name.ts';
import { assertMayManage } from './guard.ts';
import { loadUser, toPublicUser } from './public.ts';

/** Where invite links point: `<base>/login/invite/<token>` (under /login: the login form's CSRF cookie and body limit). */
export const INVITE_PATH = '/login/invite';
const HOUR_MS = 60 * 60 * 1000;

/** A fresh one-time link for `userId`; any older open link of theirs stops working. */
async function issueInvite(ctx: ServiceContext, tx: DbOrTx, userId: number, hours: number) {
  const token = randomSecret(32);
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + hours * HOUR_MS);
  await tx
    .update(adminInvites)
    .set({ usedAt: now })
    .where(and(eq(adminInvites.userId, userId), isNull(adminInvites.usedAt)));
  await tx.insert(adminInvites).values({
    userId,
    tokenHash: sha256Hex(token),
    createdAt: now,
    expiresAt,
    createdBy: actorUserId(ctx.actor) ?? null,
  });
  return { token, expiresAt };
}

/**
 * Invites a new admin user: the user exists at once (without a password, so nobody can log in as them) and
 * sets their own password through the one-time link. `baseUrl` is the dashboard's public address.
 */
export async function inviteUser({
  ctx,
  input,
  baseUrl,
}: {
  ctx: ServiceContext;
  input: InviteUserInput;
  baseUrl: string;
}) {
  assertMayManage(ctx, undefined, input.role);
  return ctx.db.transaction(async (tx) => {
    const [taken] = await tx.select({ id: adminUsers.id }).from(adminUsers).where(usernameIs(input.username));
    if (taken) throw new ValidationError([{ field: 'username', message: 'is already taken' }]);
    const [user] = await tx
      .insert(adminUsers)
      .values({ username: input.username, passwordHash: '', role: input.role, email: input.email ?? null })
      .returning();
    const invite = await issueInvite(ctx, tx, user!.id, input.expires_in_hours);
    const shown = toPublicUser(user!, 0);
    await recordAudit({
      ctx,
      tx,
      input: { action: 'user.invite', resourceType: 'admin_user', resourceId: user!.id, after: shown },
    });
    return {
      ...shown,
      invite_url: `${baseUrl}${INVITE_PATH}/${invite.token}`,
      invite_expires_at: invite.expiresAt.toISOString(),
    };
  });
}

/** A new link for a user who has not accepted yet (the old one stops working). */
export async function reissueInvite({
  ctx,
  input,
  baseUrl,
}: {
  ctx: ServiceContext;
  input: { id: number; expires_in_hours?: number | undefined };
  baseUrl: string;
}) {
  return ctx.db.transaction(async (tx) => {
    const user = await loadUser(tx, input.id);
    assertMayManage(ctx, user);
    if (user.passwordHash !== '') throw new ConflictError('this user has accepted their invite already');
    const invite = await issueInvite(ctx, tx, user.id, input.expires_in_hours ?? 72);
    await recordAudit({ ctx, tx, input: { action: 'user.reinvite', resourceType: 'admin_user', resourceId: user.id } });
    return {
      ...toPublicUser(user, 0),
      invite_url: `${baseUrl}${INVITE_PATH}/${invite.token}`,
      invite_expires_at: invite.expiresAt.toISOString(),
    };
  });
}
