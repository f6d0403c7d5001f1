import { and, eq, isNull } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { adminUsers, apiTokens } from '../../db/schema/index.ts';
import { ForbiddenError } from '../../errors.ts';
import { recordAudit } from '../audit/record.ts';
import { assertMayManage, assertOwnerRemains, callerUserId } from './guard.ts';
import { loadUser, passkeyCount, toPublicUser } from './public.ts';

/**
 * Deletes a user: their sessions, invites, passkeys and recovery codes go with them (foreign keys), their API
 * tokens are revoked in the same transaction (the rows stay for the list and the audit trail). The audit log
 * keeps their name. The last enabled owner cannot be deleted.
 */
export async function deleteUser({ ctx, input }: { ctx: ServiceContext; input: { id: number } }) {
  return ctx.db.transaction(async (tx) => {
    const user = await loadUser(tx, input.id);
    assertMayManage(ctx, user);
    if (callerUserId(ctx) === user.id) throw new ForbiddenError('you cannot delete yourself; ask another admin');
    await tx
      .update(apiTokens)
      .set({ revokedAt: ctx.now() })
      .where(and(eq(apiTokens.createdBy, user.id), isNull(apiTokens.revokedAt)));
    const shown = toPublicUser(user, await passkeyCount(tx, user.id));
    await tx.delete(adminUsers).where(eq(adminUsers.id, user.id));
    await assertOwnerRemains(tx);
    await recordAudit({
      ctx,
      tx,
      input: { action: 'user.delete', resourceType: 'admin_user', resourceId: user.id, before: shown },
    });
    return shown;
  });
}
