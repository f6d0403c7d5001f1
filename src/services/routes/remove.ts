import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { routes } from '../../db/schema/index.ts';
import { NotFoundError } from '../../errors.ts';
import { recordAudit } from '../audit/record.ts';
import { changeConfig } from '../config/change.ts';
import { toPublicRoute } from './public.ts';

export async function removeRoute({ ctx, input }: { ctx: ServiceContext; input: { id: number } }) {
  const change = await changeConfig(ctx, async (tx) => {
    const [existing] = await tx.delete(routes).where(eq(routes.id, input.id)).returning();
    if (!existing) throw new NotFoundError('route', input.id);
    await recordAudit({
      ctx,
      tx,
      input: { action: 'route.delete', resourceType: 'route', resourceId: input.id, before: toPublicRoute(existing) },
    });
    return toPublicRoute(existing);
  });
  return { config_version: change.version, data_plane: change.data_plane };
}
