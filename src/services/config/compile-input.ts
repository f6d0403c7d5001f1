import type { CompileInput, PeerRef } from '../../caddy/snapshot.ts';
import type { GatewayLoader } from '../../context.ts';
import { selectAllAsJson } from '../../db/bulk-read.ts';
import type { DbOrTx } from '../../db/index.ts';
import { peers, policies, routes } from '../../db/schema/index.ts';

/** Reads everything the snapshot compiler needs, with the caller's handle (inside its transaction). */
export async function loadCompileInput(
  db: DbOrTx,
  version: number,
  loadGateways?: GatewayLoader,
  authEndpoint?: string,
  proxySecret?: string,
): Promise<CompileInput> {
  const [routeRows, policyRows, peerRows, gateways] = await Promise.all([
    selectAllAsJson(db, routes),
    db.select({ id: policies.id, name: policies.name, policy: policies.policy }).from(policies),
    loadPeerRefs(db),
    loadGateways ? loadGateways(db) : Promise.resolve([]),
  ]);
  return {
    version,
    routes: routeRows,
    policies: policyRows,
    peers: peerRows,
    gateways,
    authEndpoint,
    proxySecret,
  };
}

/** Peers as policies resolve them; an expired peer counts as disabled even before the expiry job has run. */
export async function loadPeerRefs(db: DbOrTx): Promise<PeerRef[]> {
  const rows = await db
    .select({
      id: peers.id,
      address: peers.address,
      enabled: peers.enabled,
      tags: peers.tags,
      expiresAt: peers.expiresAt,
    })
    .from(peers);
  const now = Date.now();
  return rows.map((p) => ({
    id: p.id,
    address: p.address,
    tags: p.tags,
    enabled: p.enabled && (!p.expiresAt || p.expiresAt.getTime() > now),
  }));
}
