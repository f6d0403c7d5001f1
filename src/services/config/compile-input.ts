import type { CompileInput } from '../../caddy/snapshot.ts';
import type { GatewayLoader } from '../../context.ts';
import { selectAllAsJson } from '../../db/bulk-read.ts';
import type { DbOrTx } from '../../db/index.ts';
import { peers, routes } from '../../db/schema/index.ts';

/** Reads everything the snapshot compiler needs, with the caller's handle (inside its transaction). */
export async function loadCompileInput(
  db: DbOrTx,
  version: number,
  loadGateways?: GatewayLoader,
  authEndpoint?: string,
  proxySecret?: string,
): Promise<CompileInput> {
  const [routeRows, peerRows, gateways] = await Promise.all([
    selectAllAsJson(db, routes),
    db
      .select({
        id: peers.id,
        name: peers.name,
        address: peers.address,
        enabled: peers.enabled,
        tags: peers.tags,
        expiresAt: peers.expiresAt,
      })
      .from(peers),
    loadGateways ? loadGateways(db) : Promise.resolve([]),
  ]);
  const now = Date.now();
  return {
    version,
    routes: routeRows,
    // An expired peer counts as disabled even before the expiry job has run.
    peers: peerRows.map((p) => ({
      id: p.id,
      name: p.name,
      address: p.address,
      tags: p.tags,
      enabled: p.enabled && (!p.expiresAt || p.expiresAt.getTime() > now),
    })),
    gateways,
    authEndpoint,
    proxySecret,
  };
}
