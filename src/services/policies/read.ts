import { and, asc, count, eq, type SQL, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { policies } from '../../db/schema/index.ts';
import { NotFoundError } from '../../errors.ts';
import type { PolicyListQuery } from '../../schemas/policies.ts';
import { toPolicyDetail, toPublicPolicy } from './public.ts';
import { routesUsingPolicy, usageCounts } from './usage.ts';

/** One policy with the routes that use it. */
export async function getPolicy({ ctx, input }: { ctx: ServiceContext; input: { id: number } }) {
  const [row] = await ctx.db.select().from(policies).where(eq(policies.id, input.id));
  if (!row) throw new NotFoundError('policy', input.id);
  return toPolicyDetail(row, await routesUsingPolicy(ctx.db, input.id));
}

/** A page of policies (by name), each with how many routes use it; `q` matches part of the name. */
export async function listPolicies({ ctx, input }: { ctx: ServiceContext; input: PolicyListQuery }) {
  const filters: SQL[] = [];
  if (input.q) {
    // The search text is literal: LIKE's wildcards are escaped.
    const pattern = `%${input.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    filters.push(sql`${policies.name} like ${pattern} escape '\\'`);
  }
  const whereSql = filters.length > 0 ? and(...filters) : undefined;
  const [rows, totals] = await Promise.all([
    ctx.db
      .select()
      .from(policies)
      .where(whereSql)
      .orderBy(asc(policies.name), asc(policies.id))
      .limit(input.limit)
      .offset(input.offset),
    ctx.db.select({ total: count() }).from(policies).where(whereSql),
  ]);
  const counts = await usageCounts(
    ctx.db,
    rows.map((r) => r.id),
  );
  return {
    data: rows.map((row) => toPublicPolicy(row, counts.get(row.id) ?? 0)),
    pagination: { total: totals[0]?.total ?? 0, limit: input.limit, offset: input.offset },
  };
}
