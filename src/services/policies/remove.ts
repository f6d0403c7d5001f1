import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { policies } from '../../db/schema/index.ts';
import { ConflictError, NotFoundError } from '../../errors.ts';
import { recordAudit } from '../audit/record.ts';
import { toPolicyDetail } from './public.ts';
import { routeNames, routesUsingPolicy } from './usage.ts';

/** Deletes a policy no route uses; one in use is a 409 naming its routes (nothing changes). */
export async function removePolicy({ ctx, input }: { ctx: ServiceContext; input: { id: number } }) {
  return ctx.db.transaction(async (tx) => {
    const [existing] = await tx.select().from(policies).where(eq(policies.id, input.id));
    if (!existing) throw new NotFoundError('policy', input.id);
    const users = await routesUsingPolicy(tx, input.id);
    if (users.length > 0)
      throw new ConflictError(
        `policy "${existing.name}" is used by ${routeNames(users)}; give them another policy first`,
        { routes: users },
      );
    await tx.delete(policies).where(eq(policies.id, input.id));
    const before = toPolicyDetail(existing, []);
    await recordAudit({
      ctx,
      tx,
      input: { action: 'policy.delete', resourceType: 'policy', resourceId: input.id, before },
    });
    return before;
  });
}
