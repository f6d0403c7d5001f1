import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { gateways, routes } from '../../db/schema/index.ts';
import { ConflictError, NotFoundError } from '../../errors.ts';
import { recordAudit } from '../audit/record.ts';
import { auditView } from './public.ts';

/** Deletes a gateway that no route uses (a 409 names the routes); its token stops working at once. */
export async function removeGateway({ ctx, input }: { ctx: ServiceContext; input: { id: number } }) {
  return ctx.db.transaction(async (tx) => {
    const [before] = await tx.select().from(gateways).where(eq(gateways.id, input.id));
    if (!before) throw new NotFoundError('gateway', input.id);
    const used = await tx.select({ id: routes.id }).from(routes).where(eq(routes.gatewayId, input.id));
    if (used.length > 0) {
      const ids = used.map((r) => r.id);
      throw new ConflictError(
        `gateway ${input.id} is the target of route(s) ${ids.join(', ')}; move or delete them first`,
        { route_ids: ids },
      );
    }
    await tx.delete(gateways).where(eq(gateways.id, input.id));
    await recordAudit({
      ctx,
      tx,
      input: { action: 'gateway.delete', resourceType: 'gateway', resourceId: input.id, before: auditView(before) },
    });
    return before;
  });
}
