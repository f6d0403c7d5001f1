import { and, eq, gt, isNull } from 'drizzle-orm';
import { hashPassword } from '../../auth/passwords.ts';
import { sha256Hex } from '../../auth/secrets.ts';
import type { ServiceContext } from '../../context.ts';
import type { DbOrTx } from '../../db/index.ts';
import { adminInvites, adminUsers } from '../../db/schema/index.ts';
import { UnauthorizedError, ValidationError } from '../../errors.ts';
import { NewPasswordSchema } from '../admin/password.ts';
import { recordAudit } from '../audit/record.ts';

const INVALID = 'this invite link is invalid, used or expired; ask for a new one';

/** The invitee of an open invite token, or null (unknown, used, expired, or the user is disabled). */
export async function openInvite({ db, token, now }: { db: DbOrTx; token: string; now: Date }) {
  const [row] = await db
    .select({
      inviteId: adminInvites.id,
      user: { id: adminUsers.id, username: adminUsers.username, role: adminUsers.role },
    })
    .from(adminInvites)
    .innerJoin(adminUsers, eq(adminUsers.id, adminInvites.userId))
    .where(
      and(
        eq(adminInvites.tokenHash, sha256Hex(token)),
        isNull(adminInvites.usedAt),
        gt(adminInvites.expiresAt, now),
        isNull(adminUsers.disabledAt),
        eq(adminUsers.passwordHash, ''),
      ),
    );
  return row ?? null;
}

/** The invitee sets their password: the link is used up in the same transaction, so it works exactly once. */
export async function acceptInvite({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { token: string; password: string };
}) {
  const checked = NewPasswordSchema.safeParse(input.password);
  if (!checked.success)
    throw new ValidationError(checked.error.issues.map((i) => ({ field: 'password', message: i.message })));
  const passwordHash = await hashPassword(input.password);
  return ctx.db.transaction(async (tx) => {
    const found = await openInvite({ db: tx, token: input.token, now: ctx.now() });
    if (!found) throw new UnauthorizedError(INVALID);
    const used = await tx
      .update(adminInvites)
      .set({ usedAt: ctx.now() })
      .where(and(eq(adminInvites.id, found.inviteId), isNull(adminInvites.usedAt)))
      .returning({ id: adminInvites.id });
    if (used.length !== 1) throw new UnauthorizedError(INVALID);
    await tx
      .update(adminUsers)
      .set({ passwordHash, passwordChangedAt: ctx.now() })
      .where(eq(adminUsers.id, found.user.id));
    await recordAudit({
      ctx: { ...ctx, actor: { kind: 'admin', ...found.user } },
      tx,
      input: { action: 'user.invite_accepted', resourceType: 'admin_user', resourceId: found.user.id },
    });
    return { username: found.user.username };
  });
}
