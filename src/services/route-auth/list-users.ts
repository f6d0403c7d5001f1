import { asc, eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { routeAuthUsers } from '../../db/schema/index.ts';
import { requireHttpRoute, toPublicAuthUser } from './public.ts';

export async function listAuthUsers({ ctx, input }: { ctx: ServiceContext; input: { routeId: number } }) {
  await requireHttpRoute(ctx.db, input.routeId);
  const rows = await ctx.db
    .select()
    .from(routeAuthUsers)
    .where(eq(routeAuthUsers.routeId, input.routeId))
    .orderBy(asc(routeAuthUsers.id));
  return { data: rows.map(toPublicAuthUser) };
}
