import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { adminSessions, adminUsers } from '../../db/schema/index.ts';
import { ForbiddenError } from '../../errors.ts';
import type { UpdateUserInput } from '../../schemas/users.ts';
import { recordAudit } from '../audit/record.ts';
import { assertMayManage, assertOwnerRemains, callerUserId } from './guard.ts';
import { loadUser, passkeyCount, toPublicUser } from './public.ts';

/**
 * Changes a user's role, e-mail or disabled state in one transaction with its audit entry. Disabling ends
 * their sessions (their tokens stop at the next request: src/services/tokens/authenticate.ts); a demotion
 * applies to their sessions and tokens at once, since both read the current role. The last enabled owner
 * cannot be demoted or disabled.
 */
export async function updateUser({ ctx, input }: { ctx: ServiceContext; input: { id: number } & UpdateUserInput }) {
  return ctx.db.transaction(async (tx) => {
    const before = await loadUser(tx, input.id);
    assertMayManage(ctx, before, input.role);
    if (input.disabled === true && callerUserId(ctx) === before.id)
      throw new ForbiddenError('you cannot disable yourself; ask another admin');
    const now = ctx.now();
    const disabledAt =
      input.disabled === undefined ? before.disabledAt : input.disabled ? (before.disabledAt ?? now) : null;
    const [after] = await tx
      .update(adminUsers)
      .set({
        ...(input.role ? { role: input.role } : {}),
        ...(input.email !== undefined ? { email: input.email } : {}),
        disabledAt,
      })
      .where(eq(adminUsers.id, before.id))
      .returning();
    if (disabledAt && !before.disabledAt) await tx.delete(adminSessions).where(eq(adminSessions.userId, before.id));
    await assertOwnerRemains(tx);
    const keys = await passkeyCount(tx, before.id);
    const shown = { before: toPublicUser(before, keys), after: toPublicUser(after!, keys) };
    await recordAudit({
      ctx,
      tx,
      input: { action: 'user.update', resourceType: 'admin_user', resourceId: before.id, ...shown },
    });
    return shown.after;
  });
}
