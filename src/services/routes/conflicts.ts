import type { Config } from '../../config/index.ts';
import type { Route } from '../../db/schema/routes.ts';
import { ConflictError } from '../../errors.ts';
import type { RouteDraft } from './resolve.ts';

type Other = Pick<
  Route,
  | 'id'
  | 'type'
  | 'enabled'
  | 'domain'
  | 'l4Protocol'
  | 'l4ListenPortStart'
  | 'l4ListenPortEnd'
  | 'l4TlsMode'
  | 'gatewayId'
  | 'gatewayPort'
  | 'targetKind'
  | 'pool'
>;

/** The gateways a route listens on: its own and its pool members' (src/pool/schema.ts). */
type OnGateways = { gatewayId?: number | null | undefined; pool?: Route['pool'] | undefined };
function gatewaysOf(r: OnGateways): number[] {
  return r.gatewayId ? [r.gatewayId, ...(r.pool?.members ?? []).map((m) => m.gateway_id)] : [];
}
const sharesGateway = (a: OnGateways, b: OnGateways) => {
  const mine = gatewaysOf(a);
  return gatewaysOf(b).some((g) => mine.includes(g));
};

const overlaps = (a: [number, number], b: [number, number]) => a[0] <= b[1] && b[0] <= a[1];
const rangeOf = (r: { l4ListenPortStart?: number | null; l4ListenPortEnd?: number | null }): [number, number] => [
  r.l4ListenPortStart!,
  r.l4ListenPortEnd ?? r.l4ListenPortStart!,
];

/**
 * The nearest listen port (or range of the same size) that is free for this protocol and not blocked,
 * searching outward from the requested one.
 */
export function suggestFreePort(draft: RouteDraft, others: Other[], config: Config): string | undefined {
  const [start, end] = rangeOf(draft);
  const span = end - start;
  const taken = others.filter(
    (o) => o.enabled && o.type === 'l4' && o.l4Protocol === draft.l4Protocol && o.l4ListenPortStart,
  );
  const free = (s: number) => {
    if (s < 1024 || s + span > 65535) return false;
    for (let p = s; p <= s + span; p++) if (config.l4.blockedPorts.includes(p)) return false;
    return !taken.some((o) => overlaps([s, s + span], rangeOf(o)));
  };
  for (let delta = 1; delta < 65535; delta++) {
    for (const candidate of [start + delta, start - delta]) {
      if (free(candidate)) return span === 0 ? String(candidate) : `${candidate}-${candidate + span}`;
    }
  }
  return undefined;
}

/**
 * Conflicts with other routes (409, naming both route ids): one HTTP route per domain; one listen
 * port + protocol carries either exactly one route with TLS mode none, or TLS routes with distinct SNI names;
 * a passthrough name on the shared HTTPS port may not shadow an HTTP route's domain.
 */
export function checkConflicts(draft: RouteDraft, selfId: number | undefined, all: Other[], config: Config): void {
  checkReservedDomain(draft, selfId, config);
  if (!draft.enabled) return;
  const others = all.filter((o) => o.id !== selfId && o.enabled);
  if (draft.type === 'http') {
    const clash = others.find((o) => o.type === 'http' && o.domain === draft.domain);
    if (clash) {
      throw new ConflictError(`domain ${draft.domain} is already used by route ${clash.id}`, {
        field: 'domain',
        route_id: selfId ?? null,
        conflicting_route_id: clash.id,
      });
    }
    const sni = others.find(
      (o) =>
        o.type === 'l4' &&
        o.l4TlsMode === 'passthrough' &&
        o.l4ListenPortStart === config.caddy.httpsPort &&
        o.domain === draft.domain,
    );
    if (sni) {
      throw new ConflictError(
        `domain ${draft.domain} is taken by TLS passthrough route ${sni.id} on port ${config.caddy.httpsPort}`,
        {
          field: 'domain',
          route_id: selfId ?? null,
          conflicting_route_id: sni.id,
        },
      );
    }
    return;
  }
  const mine = rangeOf(draft);
  for (const o of others) {
    if (o.type !== 'l4' || o.l4Protocol !== draft.l4Protocol || !o.l4ListenPortStart || !overlaps(mine, rangeOf(o)))
      continue;
    const bothTls = draft.l4TlsMode !== 'none' && o.l4TlsMode !== 'none';
    if (bothTls && o.domain !== draft.domain) continue;
    const why = bothTls
      ? `both use the SNI name ${draft.domain}`
      : 'a port without TLS can carry only one route (nothing tells the streams apart)';
    const suggestion = suggestFreePort(
      draft,
      all.filter((x) => x.id !== selfId),
      config,
    );
    const port = mine[0] === mine[1] ? String(mine[0]) : `${mine[0]}-${mine[1]}`;
    throw new ConflictError(
      `listen port ${port}/${draft.l4Protocol} conflicts with route ${o.id}: ${why}${suggestion ? `; the nearest free port is ${suggestion}` : ''}`,
      {
        field: 'l4_listen_port',
        route_id: selfId ?? null,
        conflicting_route_id: o.id,
        suggested_port: suggestion ?? null,
      },
    );
  }
  if (draft.targetKind === 'gateway') {
    // On the gateway, L4 routes listen on the server's port (1:1) and HTTP routes on their allocated port.
    const forward = others.find(
      (o) => sharesGateway(o, draft) && o.gatewayPort && o.gatewayPort >= mine[0] && o.gatewayPort <= mine[1],
    );
    if (forward) {
      throw new ConflictError(
        `listen port ${forward.gatewayPort} is the forwarding port of HTTP route ${forward.id} on a gateway this route uses`,
        {
          field: 'l4_listen_port',
          route_id: selfId ?? null,
          conflicting_route_id: forward.id,
        },
      );
    }
  }
  if (draft.l4TlsMode === 'passthrough' && mine[0] === config.caddy.httpsPort) {
    const http = others.find((o) => o.type === 'http' && o.domain === draft.domain);
    if (http) {
      throw new ConflictError(`SNI name ${draft.domain} on port ${mine[0]} would shadow HTTP route ${http.id}`, {
        field: 'domain',
        route_id: selfId ?? null,
        conflicting_route_id: http.id,
      });
    }
  }
}

/**
 * The public domain serves the dashboard, the API and the agents' event stream (GATEHOUSE_PUBLIC_DOMAIN): no
 * route may name it — not as an HTTP domain, not as an L4 SNI name (passthrough would hand its TLS to the
 * route's target), not through a wildcard that covers it (`*.example.com` covers `gate.example.com`). Checked
 * for disabled routes too: enabling one later must not be the way around it.
 */
export function checkReservedDomain(draft: Pick<RouteDraft, 'domain'>, selfId: number | undefined, config: Config) {
  const reserved = config.publicDomain?.toLowerCase().replace(/\.$/, '');
  const domain = draft.domain?.toLowerCase();
  if (!reserved || !domain) return;
  const covers =
    domain === reserved || (domain.startsWith('*.') && reserved.slice(reserved.indexOf('.') + 1) === domain.slice(2));
  if (!covers) return;
  throw new ConflictError(
    `${domain === reserved ? `domain ${reserved} is` : `wildcard ${domain} covers ${reserved}, which is`} reserved for Gatehouse itself (GATEHOUSE_PUBLIC_DOMAIN: dashboard, API and gateway sync)`,
    { field: 'domain', route_id: selfId ?? null },
  );
}

/**
 * HTTP routes to a gateway: Caddy proxies to the gateway's tunnel IP on a port we pick, the gateway forwards
 * it to the LAN target. Keeps the current port when it is still free; otherwise the lowest free one.
 */
export function allocateGatewayPort(
  draft: RouteDraft,
  selfId: number | undefined,
  all: Other[],
  range: [number, number],
): number {
  const used = new Set<number>();
  for (const o of all) {
    // A pool's forwarding port must be free on every member gateway.
    if (o.id === selfId || o.targetKind !== 'gateway' || !sharesGateway(o, draft)) continue;
    if (o.gatewayPort) used.add(o.gatewayPort);
    if (o.type === 'l4' && o.l4ListenPortStart)
      for (let p = o.l4ListenPortStart; p <= (o.l4ListenPortEnd ?? o.l4ListenPortStart); p++) used.add(p);
  }
  if (
    draft.gatewayPort &&
    draft.gatewayPort >= range[0] &&
    draft.gatewayPort <= range[1] &&
    !used.has(draft.gatewayPort)
  )
    return draft.gatewayPort;
  for (let p = range[0]; p <= range[1]; p++) if (!used.has(p)) return p;
  throw new ConflictError(`gateway ${draft.gatewayId} has no free forwarding port left in ${range[0]}-${range[1]}`, {
    field: 'gateway_id',
  });
}
