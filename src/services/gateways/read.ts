import type { GatewayStatusReport } from '@gatehouse/protocol';
import { asc, eq } from 'drizzle-orm';
import type { GatewayLoader } from '../../context.ts';
import type { DbOrTx } from '../../db/index.ts';
import { gateways, peers } from '../../db/schema/index.ts';
import { NotFoundError } from '../../errors.ts';

/** Gateways with their peer's tunnel address and public key (for the handshake age). */
export async function listGatewayRows(db: DbOrTx) {
  return db
    .select({ gateway: gateways, tunnelIp: peers.address, publicKey: peers.publicKey })
    .from(gateways)
    .leftJoin(peers, eq(peers.id, gateways.peerId))
    .orderBy(asc(gateways.id));
}

export async function getGatewayRow(db: DbOrTx, id: number) {
  const [row] = await db
    .select({ gateway: gateways, tunnelIp: peers.address, publicKey: peers.publicKey })
    .from(gateways)
    .leftJoin(peers, eq(peers.id, gateways.peerId))
    .where(eq(gateways.id, id));
  if (!row) throw new NotFoundError('gateway', id);
  return row;
}

/**
 * The routes an agent's report says it cannot serve: a listener that failed to open or a target it could not
 * reach. Such a gateway leaves those routes' pool rotation (src/caddy/pool.ts) until a report says otherwise.
 */
export function failingRoutes(report: GatewayStatusReport | null): number[] {
  if (!report) return [];
  const failing = new Set([
    ...report.listeners.filter((l) => l.state === 'failed').map((l) => l.route_id),
    ...report.targets.filter((t) => !t.reachable).map((t) => t.route_id),
  ]);
  return [...failing].sort((a, b) => a - b);
}

/** The snapshot compiler's view of gateways (registered as `hooks.loadGateways` by the server). */
export const loadGatewayRefs: GatewayLoader = async (db) =>
  (await listGatewayRows(db)).map((r) => ({
    id: r.gateway.id,
    tunnelIp: r.tunnelIp ?? undefined,
    failingRoutes: failingRoutes(r.gateway.lastStatus),
  }));
