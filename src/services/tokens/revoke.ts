import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { apiTokens } from '../../db/schema/index.ts';
import { NotFoundError } from '../../errors.ts';
import { recordAudit } from '../audit/record.ts';
import { toPublicToken } from './public.ts';

/**
 * Revokes a token for good: it is marked revoked and its hash is overwritten with a random value, so the
 * database holds nothing that could ever authenticate again (the row stays for the audit trail).
 */
export async function revokeToken({ ctx, input }: { ctx: ServiceContext; input: { id: number } }) {
  return ctx.db.transaction(async (tx) => {
    const [before] = await tx.select().from(apiTokens).where(eq(apiTokens.id, input.id));
    if (!before) throw new NotFoundError('token', input.id);
    const [after] = await tx
      .update(apiTokens)
      .set({ revokedAt: before.revokedAt ?? ctx.now(), tokenHash: `revoked:${crypto.randomUUID()}` })
      .where(eq(apiTokens.id, input.id))
      .returning();
    await recordAudit({
      ctx,
      tx,
      input: {
        action: 'token.revoke',
        resourceType: 'token',
        resourceId: input.id,
        before: toPublicToken(before),
        after: toPublicToken(after!),
      },
    });
    return toPublicToken(after!);
  });
}
