import { buildGatewayConfig, type GatewayConfig } from '@gatehouse/protocol';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { gateways, peers } from '../db/schema/index.ts';
import { currentVersion } from '../services/config/version.ts';

/**
 * Where a gateway's configuration comes from. The routes compiler implements it from the routes table
 * (gateway-targeted L4 routes → l4_routes, HTTP routes → http_forwards with their allocated port, WoL
 * MACs with the broadcast of the LAN network that holds the target). `version` must be the global config
 * version the change committed with; `hash` (via `buildGatewayConfig`) decides whether agents act.
 */
export interface GatewayConfigSource {
  configFor(gatewayId: number): Promise<GatewayConfig>;
  /** Many at once (a publish to every connected gateway): one read of the tables instead of one per gateway. */
  configsFor?(gatewayIds: number[]): Promise<Map<number, GatewayConfig>>;
}

/**
 * The source until the routes compiler provides one: no forwards, the current version from the settings
 * table, and the tunnel IP of the gateway's peer. Agents connect, resync and report against it.
 */
export class EmptyGatewayConfigSource implements GatewayConfigSource {
  constructor(private readonly db: Db) {}

  async configFor(gatewayId: number): Promise<GatewayConfig> {
    const [version, [row]] = await Promise.all([
      currentVersion(this.db),
      this.db
        .select({ tunnelIp: peers.address })
        .from(gateways)
        .leftJoin(peers, eq(peers.id, gateways.peerId))
        .where(eq(gateways.id, gatewayId)),
    ]);
    return buildGatewayConfig(version, { tunnel_ip: row?.tunnelIp ?? null, l4_routes: [], http_forwards: [], wol: [] });
  }
}
