import {
  buildGatewayConfig,
  formatIPv4,
  type GatewayConfig,
  type GatewayConfigBody,
  ipv4CidrContains,
  parseIPv4,
  parseIPv4Cidr,
} from '@gatehouse/protocol';
import { and, eq, inArray, isNotNull, or } from 'drizzle-orm';
import { usesForwardPort } from '../caddy/snapshot.ts';
import type { Db } from '../db/index.ts';
import { gateways, peers, type Route, routes } from '../db/schema/index.ts';
import { poolTargets } from '../pool/schema.ts';
import { currentVersion } from '../services/config/version.ts';
import type { GatewayConfigSource } from './gateway-config-source.ts';

/**
 * The directed broadcast address for a WoL packet to `host`: the broadcast of the gateway's LAN network
 * that contains it, or the limited broadcast when no listed network does (or the host is a name).
 */
export function wolBroadcast(host: string, lanNetworks: string[]): string {
  if (parseIPv4(host) === undefined) return '255.255.255.255';
  for (const cidr of lanNetworks) {
    const network = parseIPv4Cidr(cidr);
    if (network && ipv4CidrContains(network, host)) return formatIPv4(network.broadcast);
  }
  return '255.255.255.255';
}

/**
 * Each gateway's forwarding table, derived from the routes that target it (docs/architecture.md#a-request): L4 routes
 * listen on the gateway's tunnel IP on the server's own listen port (1:1, ranges with offset), HTTP routes on the port
 * the route service allocated; enabled routes only. The version is the global config version.
 */
export class RoutesGatewayConfigSource implements GatewayConfigSource {
  /** `serverTunnelIp`: the server's WireGuard address, the one source agents accept forwarded connections from. */
  constructor(
    private readonly db: Db,
    private readonly opts: { serverTunnelIp?: string | undefined } = {},
  ) {}

  async configFor(gatewayId: number): Promise<GatewayConfig> {
    return (await this.configsFor([gatewayId])).get(gatewayId)!;
  }

  async configsFor(gatewayIds: number[]): Promise<Map<number, GatewayConfig>> {
    const ids = [...new Set(gatewayIds)];
    const [version, gatewayRows, routeRows] = await Promise.all([
      currentVersion(this.db),
      this.db
        .select({ id: gateways.id, lanNetworks: gateways.lanNetworks, tunnelIp: peers.address })
        .from(gateways)
        .leftJoin(peers, eq(peers.id, gateways.peerId))
        .where(inArray(gateways.id, ids)),
      this.db
        .select()
        .from(routes)
        .where(
          and(
            or(inArray(routes.gatewayId, ids), isNotNull(routes.pool)),
            eq(routes.targetKind, 'gateway'),
            eq(routes.enabled, true),
          ),
        ),
    ]);
    // Every pool member forwards for the route, to its own LAN target (src/pool/schema.ts).
    const wanted = new Set(ids);
    const routesOf = new Map<number, Route[]>();
    for (const r of routeRows) {
      for (const t of poolTargets(r)) {
        if (!wanted.has(t.gatewayId)) continue;
        const row = { ...r, targetLanHost: t.lanHost, targetLanPort: t.lanPort };
        // push, not a copy per row: copying made a gateway with n routes cost O(n²)
        const list = routesOf.get(t.gatewayId);
        if (list) list.push(row);
        else routesOf.set(t.gatewayId, [row]);
      }
    }
    const gatewayOf = new Map(gatewayRows.map((g) => [g.id, g]));
    return new Map(
      ids.map((id) => [id, buildGatewayConfig(version, this.body(gatewayOf.get(id), routesOf.get(id) ?? []))]),
    );
  }

  private body(
    gateway: { lanNetworks: string[]; tunnelIp: string | null } | undefined,
    rows: Route[],
  ): GatewayConfigBody {
    const body: GatewayConfigBody = {
      tunnel_ip: gateway?.tunnelIp ?? null,
      l4_routes: [],
      http_forwards: [],
      wol: [],
      lan_networks: gateway?.lanNetworks ?? [],
      server_tunnel_ip: this.opts.serverTunnelIp ?? null,
    };
    const wol = new Map<string, string>();
    for (const r of rows.sort((a, b) => a.id - b.id)) {
      if (!r.targetLanHost || !r.targetLanPort) continue;
      const mac = r.wolEnabled && r.wolMac ? r.wolMac : null;
      if (mac) wol.set(mac, wolBroadcast(r.targetLanHost, gateway?.lanNetworks ?? []));
      if (r.type === 'l4' && r.l4ListenPortStart && r.l4Protocol) {
        // TLS routes may share a server port by SNI, so the gateway serves them on their own forwarding port.
        const forwardPort = usesForwardPort(r) ? r.gatewayPort : null;
        if (usesForwardPort(r) && !forwardPort) continue;
        body.l4_routes.push({
          route_id: r.id,
          protocol: r.l4Protocol,
          listen_port: forwardPort ?? r.l4ListenPortStart,
          listen_port_end: !forwardPort && r.l4ListenPortEnd !== r.l4ListenPortStart ? r.l4ListenPortEnd : null,
          target_lan_host: r.targetLanHost,
          target_lan_port: r.targetLanPort,
          wol_mac: mac,
        });
      } else if (r.type === 'http' && r.gatewayPort) {
        body.http_forwards.push({
          route_id: r.id,
          listen_port: r.gatewayPort,
          target_host: r.targetLanHost,
          target_port: r.targetLanPort,
          wol_mac: mac,
        });
      }
    }
    body.wol = [...wol].map(([mac, broadcast]) => ({ mac, broadcast }));
    return body;
  }
}
