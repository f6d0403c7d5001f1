import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { routes } from '../../db/schema/index.ts';
import { NotFoundError } from '../../errors.ts';
import type { RouteFields } from '../../schemas/routes.ts';
import { recordAudit } from '../audit/record.ts';
import { changeConfig } from '../config/change.ts';
import { endSessionsOnAuthChange, hashRoutePassword } from '../route-auth/rules.ts';
import { routeUsesLogin } from './access.ts';
import { prepareRoute } from './prepare.ts';
import { toPublicRoute } from './public.ts';
import { applyFields } from './resolve.ts';

/** Partial update: absent fields keep their value; the merged route is validated as a whole. */
export async function updateRoute({ ctx, input }: { ctx: ServiceContext; input: { id: number; fields: RouteFields } }) {
  const authPasswordHash = await hashRoutePassword(input.fields.auth_password);
  const change = await changeConfig(ctx, async (tx) => {
    const [existing] = await tx.select().from(routes).where(eq(routes.id, input.id));
    if (!existing) throw new NotFoundError('route', input.id);
    const { id: _id, createdAt: _c, updatedAt: _u, ...base } = existing;
    const fields = applyFields(base, input.fields);
    if (authPasswordHash !== undefined) fields.authPasswordHash = authPasswordHash;
    const { draft, authEnabled } = await prepareRoute({
      ctx,
      tx,
      draft: fields,
      selfId: input.id,
      fields: input.fields,
    });
    const before = { ...existing, authEnabled: await routeUsesLogin(tx, existing) };
    await endSessionsOnAuthChange(tx, input.id, before, { ...existing, ...draft, authEnabled });
    const [row] = await tx
      .update(routes)
      .set({ ...draft, updatedAt: ctx.now() })
      .where(eq(routes.id, input.id))
      .returning();
    const after = toPublicRoute(row!);
    await recordAudit({
      ctx,
      tx,
      input: {
        action: 'route.update',
        resourceType: 'route',
        resourceId: input.id,
        before: toPublicRoute(existing),
        after,
      },
    });
    return after;
  });
  return { ...change.result, config_version: change.version, data_plane: change.data_plane };
}
