import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { gateways } from '../../db/schema/index.ts';
import { NotFoundError } from '../../errors.ts';
import { recordAudit } from '../audit/record.ts';
import { auditView, newGatewayToken } from './public.ts';

/** A new token; the old one stops working at once (the hub also drops the agent's open stream). */
export async function rotateGatewayToken({ ctx, input }: { ctx: ServiceContext; input: { id: number } }) {
  const secret = newGatewayToken();
  return ctx.db.transaction(async (tx) => {
    const [before] = await tx.select().from(gateways).where(eq(gateways.id, input.id));
    if (!before) throw new NotFoundError('gateway', input.id);
    const [after] = await tx
      .update(gateways)
      .set({ tokenHash: secret.hash, tokenPrefix: secret.prefix, updatedAt: ctx.now() })
      .where(eq(gateways.id, input.id))
      .returning();
    await recordAudit({
      ctx,
      tx,
      input: {
        action: 'gateway.rotate_token',
        resourceType: 'gateway',
        resourceId: input.id,
        before: auditView(before),
        after: auditView(after!),
      },
    });
    return { row: after!, token: secret.token };
  });
}
