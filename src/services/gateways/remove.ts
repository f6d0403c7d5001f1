import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { gateways } from '../../db/schema/index.ts';
import { ConflictError, NotFoundError } from '../../errors.ts';
import { recordAudit } from '../audit/record.ts';
import { routeNames } from '../policies/usage.ts';
import { auditView } from './public.ts';
import { gatewayUse, routesUsingGateway } from './usage.ts';

/**
 * Deletes a gateway no route uses, as its target or as a pool member (a 409 names the routes); its token stops
 * working at once. The check and the delete share one transaction, so no route can start using it in between.
 */
export async function removeGateway({ ctx, input }: { ctx: ServiceContext; input: { id: number } }) {
  return ctx.db.transaction(async (tx) => {
    const [before] = await tx.select().from(gateways).where(eq(gateways.id, input.id));
    if (!before) throw new NotFoundError('gateway', input.id);
    const used = await routesUsingGateway(tx, input.id);
    if (used.length > 0) {
      const targetOf = used.filter((r) => gatewayUse(r, input.id) === 'target');
      const memberOf = used.filter((r) => gatewayUse(r, input.id) === 'pool_member');
      const uses = [
        targetOf.length ? `the target of ${routeNames(targetOf)}` : '',
        memberOf.length ? `a pool member of ${routeNames(memberOf)}` : '',
      ].filter(Boolean);
      throw new ConflictError(`gateway ${input.id} is ${uses.join(' and ')}; move or delete them first`, {
        route_ids: used.map((r) => r.id),
        routes: used.map((r) => ({ id: r.id, name: r.name, type: r.type, use: gatewayUse(r, input.id) })),
      });
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
