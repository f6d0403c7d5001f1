import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { peers } from '../../db/schema/index.ts';
import { NotFoundError } from '../../errors.ts';
import type { PeerDeps } from './deps.ts';
import { toPublicPeer, toPublicStats } from './public.ts';

export async function findPeerRow({ ctx, id }: { ctx: ServiceContext; id: number }) {
  const [row] = await ctx.db.select().from(peers).where(eq(peers.id, id));
  if (!row) throw new NotFoundError('peer', id);
  return row;
}

/** One peer with live stats read from the interface now (falling back to the last poll). */
export async function getPeer({ ctx, deps, input }: { ctx: ServiceContext; deps: PeerDeps; input: { id: number } }) {
  const row = await findPeerRow({ ctx, id: input.id });
  let live = deps.network.latest(row.publicKey);
  try {
    live = (await deps.network.live(row.publicKey)) ?? live;
  } catch (err) {
    ctx.logger.warn({ err: (err as Error).message }, 'live WireGuard stats unavailable; using the last poll');
  }
  return toPublicPeer(row, toPublicStats(live, ctx.now()));
}
