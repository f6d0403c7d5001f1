import { and, asc, count, eq, or, type SQL, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { routes } from '../../db/schema/index.ts';
import { NotFoundError } from '../../errors.ts';
import type { RouteListQuery } from '../../schemas/routes.ts';
import { toPublicRoute } from './public.ts';

export async function getRoute({ ctx, input }: { ctx: ServiceContext; input: { id: number } }) {
  const [row] = await ctx.db.select().from(routes).where(eq(routes.id, input.id));
  if (!row) throw new NotFoundError('route', input.id);
  return toPublicRoute(row);
}

export async function listRoutes({ ctx, input }: { ctx: ServiceContext; input: RouteListQuery }) {
  const filters: SQL[] = [];
  if (input.type) filters.push(eq(routes.type, input.type));
  if (input.target_kind) filters.push(eq(routes.targetKind, input.target_kind));
  if (input.gateway_id) filters.push(eq(routes.gatewayId, input.gateway_id));
  if (input.enabled) filters.push(eq(routes.enabled, input.enabled === 'true'));
  if (input.q) {
    // LIKE wildcards in the search text are matched literally.
    const pattern = `%${input.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    filters.push(
      or(sql`${routes.name} LIKE ${pattern} ESCAPE '\\'`, sql`${routes.domain} LIKE ${pattern} ESCAPE '\\'`)!,
    );
  }
  const where = filters.length ? and(...filters) : undefined;
  const [rows, [total]] = await Promise.all([
    ctx.db.select().from(routes).where(where).orderBy(asc(routes.id)).limit(input.limit).offset(input.offset),
    ctx.db.select({ n: count() }).from(routes).where(where),
  ]);
  return {
    data: rows.map(toPublicRoute),
    pagination: { total: total?.n ?? 0, limit: input.limit, offset: input.offset },
  };
}
