import { isNull } from 'drizzle-orm';
import type { CompileInput, PeerRef } from '../../caddy/snapshot.ts';
import type { GatewayLoader } from '../../context.ts';
import { selectAllAsJson } from '../../db/bulk-read.ts';
import type { DbOrTx } from '../../db/index.ts';
import { peers, policies, routeAppTokens, routes } from '../../db/schema/index.ts';

/** The headers of each route's app tokens that are not revoked: Caddy deletes them before the upstream. */
export async function appTokenHeaders(db: DbOrTx): Promise<Map<number, string[]>> {
  const rows = await db
    .selectDistinct({ routeId: routeAppTokens.routeId, header: routeAppTokens.header })
    .from(routeAppTokens)
    .where(isNull(routeAppTokens.revokedAt));
  const out = new Map<number, string[]>();
  for (const r of rows) out.set(r.routeId, [...(out.get(r.routeId) ?? []), r.header].sort());
  return out;
}

/** Reads everything the snapshot compiler needs, with the caller's handle (inside its transaction). */
export async function loadCompileInput(
  db: DbOrTx,
  version: number,
  loadGateways?: GatewayLoader,
  authEndpoint?: string,
  proxySecret?: string,
): Promise<CompileInput> {
  const [routeRows, policyRows, peerRows, gateways, tokenHeaders] = await Promise.all([
    selectAllAsJson(db, routes),
    db.select({ id: policies.id, name: policies.name, policy: policies.policy }).from(policies),
    loadPeerRefs(db),
    loadGateways ? loadGateways(db) : Promise.resolve([]),
    appTokenHeaders(db),
  ]);
  return {
    version,
    routes: routeRows,
    policies: policyRows,
    peers: peerRows,
    gateways,
    appTokenHeaders: Object.fromEntries(tokenHeaders),
    authEndpoint,
    proxySecret,
  };
}

/** Peers as policies resolve them; an expired peer counts as disabled even before the expiry job has run. */
export async function loadPeerRefs(db: DbOrTx): Promise<PeerRef[]> {
  const rows = await db
    .select({
      id: peers.id,
      name: peers.name,
      address: peers.address,
      enabled: peers.enabled,
      tags: peers.tags,
      expiresAt: peers.expiresAt,
    })
    .from(peers);
  const now = Date.now();
  return rows.map((p) => ({
    id: p.id,
    name: p.name,
    address: p.address,
    tags: p.tags,
    enabled: p.enabled && (!p.expiresAt || p.expiresAt.getTime() > now),
  }));
}
