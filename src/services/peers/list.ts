import { and, asc, count, eq, type SQL, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { qualified } from '../../db/qualified.ts';
import { peers } from '../../db/schema/index.ts';
import type { PeerListQuery } from '../../schemas/peers.ts';
import type { PeerDeps } from './deps.ts';
import { toPublicPeer, toPublicStats } from './public.ts';

/** Filtered, paginated list; stats come from the last poll (no `wg` call per list). */
export async function listPeers({ ctx, deps, input }: { ctx: ServiceContext; deps: PeerDeps; input: PeerListQuery }) {
  const filters: SQL[] = [];
  if (input.enabled !== undefined) filters.push(eq(peers.enabled, input.enabled));
  if (input.tag)
    filters.push(sql`exists (select 1 from json_each(${qualified(peers.tags)}) where json_each.value = ${input.tag})`);
  if (input.q) {
    // The search text is literal: LIKE's wildcards are escaped (drizzle's like() has no ESCAPE clause).
    const pattern = `%${input.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    filters.push(sql`${peers.name} like ${pattern} escape '\\'`);
  }
  const whereSql = filters.length > 0 ? and(...filters) : undefined;
  const [rows, totals] = await Promise.all([
    ctx.db.select().from(peers).where(whereSql).orderBy(asc(peers.id)).limit(input.limit).offset(input.offset),
    ctx.db.select({ total: count() }).from(peers).where(whereSql),
  ]);
  const now = ctx.now();
  return {
    data: rows.map((row) => toPublicPeer(row, toPublicStats(deps.network.latest(row.publicKey), now))),
    pagination: { total: totals[0]?.total ?? 0, limit: input.limit, offset: input.offset },
  };
}
