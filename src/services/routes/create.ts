import type { ServiceContext } from '../../context.ts';
import { routes } from '../../db/schema/index.ts';
import type { RouteFields } from '../../schemas/routes.ts';
import { recordAudit } from '../audit/record.ts';
import { changeConfig } from '../config/change.ts';
import { hashRoutePassword } from '../route-auth/rules.ts';
import { prepareRoute } from './prepare.ts';
import { toPublicRoute } from './public.ts';
import { newDraft } from './resolve.ts';

export async function createRoute({ ctx, input }: { ctx: ServiceContext; input: RouteFields }) {
  // argon2 is slow on purpose: hash before the write transaction, not inside it.
  const authPasswordHash = await hashRoutePassword(input.auth_password);
  const change = await changeConfig(ctx, async (tx) => {
    const fields = newDraft(input);
    if (authPasswordHash !== undefined) fields.authPasswordHash = authPasswordHash;
    const { draft } = await prepareRoute({ ctx, tx, draft: fields, fields: input });
    const now = ctx.now();
    const [row] = await tx
      .insert(routes)
      .values({ ...draft, createdAt: now, updatedAt: now })
      .returning();
    const route = toPublicRoute(row!);
    await recordAudit({
      ctx,
      tx,
      input: { action: 'route.create', resourceType: 'route', resourceId: route.id, after: route },
    });
    return route;
  });
  return { ...change.result, config_version: change.version, data_plane: change.data_plane };
}
