import type { ServiceContext } from '../../context.ts';
import type { PeerDeps } from './deps.ts';
import { findPeerRow } from './get.ts';
import { toPublicStats } from './public.ts';

/** The peer's recent traffic (per-interval deltas) and handshakes, oldest first, for charts. */
export async function peerHistory({
  ctx,
  deps,
  input,
}: {
  ctx: ServiceContext;
  deps: PeerDeps;
  input: { id: number };
}) {
  const row = await findPeerRow({ ctx, id: input.id });
  return {
    peer_id: row.id,
    interval_seconds: Math.round(deps.network.statsIntervalMs / 1000),
    current: toPublicStats(deps.network.latest(row.publicKey), ctx.now()),
    points: deps.network.history(row.publicKey).map((p) => ({
      at: p.at.toISOString(),
      rx_bytes: p.rxBytes,
      tx_bytes: p.txBytes,
      latest_handshake_at: p.latestHandshake ? p.latestHandshake.toISOString() : null,
    })),
  };
}
