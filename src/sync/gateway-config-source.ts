import type { GatewayConfig } from '@gatehouse/protocol';

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
