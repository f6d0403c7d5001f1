import { createHash } from 'node:crypto';
import type { Route } from '../db/schema/routes.ts';
import { identityHandlers } from './identity-headers.ts';
import { routeAuthHandlers } from './route-auth.ts';

/**
 * The module snapshot (docs/snapshot.md): everything users change, compiled from the database into the JSON
 * the gatehouse Caddy module swaps in without a reload. Pure functions; the output is built as data, so no
 * user-supplied text can inject config.
 */
export interface SnapshotPolicy {
  acl?: { enabled: boolean; allow: string[] };
  ip_filter?: { enabled: boolean; mode: 'whitelist' | 'blacklist'; rules: { type: string; value: string }[] };
  rate_limit?: { enabled: boolean; requests: number; window: string };
}

export interface SnapshotRoute {
  id: string;
  policy: SnapshotPolicy;
  /** Names under a wildcard host that may get an on-demand certificate (caddy-module/permission.go). */
  tls_names?: string[];
  http?: { hosts: string[]; handle: Record<string, unknown>[] };
  l4?: {
    network: 'tcp' | 'udp';
    tls_mode: 'none' | 'passthrough' | 'terminate';
    server_names: string[];
    ports: { port: number; handle: Record<string, unknown>[] }[];
  };
}

export interface Snapshot {
  version: number;
  routes: SnapshotRoute[];
}

export interface PeerRef {
  id: number;
  /** For the identity headers of VPN clients (identity-headers.ts); absent: none are set for this peer. */
  name?: string | undefined;
  address: string;
  enabled: boolean;
  tags: string[];
}

export interface GatewayRef {
  id: number;
  /** The gateway's WireGuard tunnel address (its peer's address). */
  tunnelIp: string | undefined;
}

export interface CompileInput {
  version: number;
  routes: Route[];
  peers: PeerRef[];
  gateways: GatewayRef[];
  /** `host:port` of the control plane's verify endpoint and login pages; without it, auth routes stay out. */
  authEndpoint?: string | undefined;
  /** Sent with forward auth and the login pages so the control plane believes the client address (proxy-secret.ts). */
  proxySecret?: string | undefined;
  /** Route id → the headers its app tokens come in (deleted before the upstream after a successful verify). */
  appTokenHeaders?: Record<number, string[]> | undefined;
}

/** The addresses a route's ACL admits: listed peers and members of listed `tag:` groups, enabled ones only. */
export function aclAddresses(route: Pick<Route, 'aclPeers'>, peers: PeerRef[]): string[] {
  const ids = new Set(route.aclPeers.filter((p): p is number => typeof p === 'number'));
  const tags = new Set(route.aclPeers.filter((p): p is string => typeof p === 'string').map((t) => t.slice(4)));
  return peers
    .filter((p) => p.enabled && (ids.has(p.id) || p.tags.some((t) => tags.has(t))))
    .map((p) => p.address)
    .sort();
}

function policyOf(route: Route, peers: PeerRef[]): SnapshotPolicy {
  const policy: SnapshotPolicy = {};
  if (route.aclEnabled) policy.acl = { enabled: true, allow: aclAddresses(route, peers) };
  if (route.ipFilterEnabled) {
    policy.ip_filter = {
      enabled: true,
      mode: route.ipFilterMode,
      rules: route.ipFilterRules.map((r) => ({ type: r.type, value: r.value })),
    };
  }
  if (route.rateLimitEnabled) {
    policy.rate_limit = { enabled: true, requests: route.rateLimitRequests, window: route.rateLimitWindow };
  }
  return policy;
}

export function escapePlaceholders(value: string): string {
  return value.replace(/[{}]/g, (ch) => `\\${ch}`);
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Gateway routes that the gateway serves on an allocated forwarding port rather than the listen port. */
export function usesForwardPort(route: { type: Route['type']; l4TlsMode?: Route['l4TlsMode'] | undefined }): boolean {
  return route.type === 'http' || (route.l4TlsMode ?? 'none') !== 'none';
}

/** Where Caddy sends a route's traffic: host and first port, by target kind. Undefined when unresolvable. */
export function upstreamOf(route: Route, input: CompileInput): { host: string; port: number } | undefined {
  switch (route.targetKind) {
    case 'direct':
      return route.targetHost && route.targetPort ? { host: route.targetHost, port: route.targetPort } : undefined;
    case 'peer': {
      const peer = input.peers.find((p) => p.id === route.peerId);
      return peer?.enabled && route.targetPort ? { host: peer.address, port: route.targetPort } : undefined;
    }
    case 'gateway': {
      const gw = input.gateways.find((g) => g.id === route.gatewayId);
      if (!gw?.tunnelIp) return undefined;
      // Plain L4: the gateway listens on the same port as the server (1:1, ranges with offset). HTTP and TLS
      // routes (which may share a server port by SNI): on the port the route service allocated.
      const port = usesForwardPort(route) ? route.gatewayPort : route.l4ListenPortStart;
      return port ? { host: gw.tunnelIp, port } : undefined;
    }
  }
}

function httpHandlers(
  route: Route,
  upstream: { host: string; port: number },
  peers: PeerRef[],
  authEndpoint?: string,
  proxySecret?: string,
  tokenHeaders: string[] = [],
): Record<string, unknown>[] {
  const handlers: Record<string, unknown>[] = [
    ...identityHandlers(peers),
    ...(route.authEnabled && authEndpoint ? routeAuthHandlers(route, authEndpoint, proxySecret, tokenHeaders) : []),
  ];
  const request = route.customHeaders.filter((h) => h.direction === 'request');
  const response = route.customHeaders.filter((h) => h.direction === 'response');
  if (request.length || response.length) {
    // Caddy expands {placeholders} in header values ({env.*} would read the server's environment): user
    // text is escaped so it is always sent literally.
    const set = (list: typeof request) => Object.fromEntries(list.map((h) => [h.name, [escapePlaceholders(h.value)]]));
    handlers.push({
      handler: 'headers',
      ...(request.length ? { request: { set: set(request) } } : {}),
      ...(response.length ? { response: { set: set(response) } } : {}),
    });
  }
  const extra = route.targetKind === 'direct' ? route.upstreams : [];
  const proxy: Record<string, unknown> = {
    handler: 'reverse_proxy',
    upstreams: [upstream, ...extra].map((u) => ({ dial: hostPort(u.host, u.port) })),
  };
  if (extra.length > 0) proxy.load_balancing = { selection_policy: { policy: route.lbPolicy } };
  if (route.backendHttps) {
    // LAN services mostly present self-signed certificates; the tunnel or LAN is the trust boundary here.
    proxy.transport = { protocol: 'http', tls: { insecure_skip_verify: true } };
  }
  if (route.healthCheck) {
    proxy.health_checks = {
      active: {
        uri: route.healthCheck.path,
        interval: `${route.healthCheck.interval_seconds}s`,
        timeout: `${route.healthCheck.timeout_seconds}s`,
        ...(route.healthCheck.expect_status ? { expect_status: route.healthCheck.expect_status } : {}),
      },
    };
  }
  handlers.push(proxy);
  return handlers;
}

function l4Ports(route: Route, upstream: { host: string; port: number }): NonNullable<SnapshotRoute['l4']>['ports'] {
  const start = route.l4ListenPortStart!;
  const end = route.l4ListenPortEnd ?? start;
  const ports: NonNullable<SnapshotRoute['l4']>['ports'] = [];
  for (let port = start; port <= end; port++) {
    // A range maps 1:1 with offset: listen start+i → target start+i.
    const target = hostPort(upstream.host, upstream.port + (port - start));
    const proxy: Record<string, unknown> = {
      handler: 'proxy',
      upstreams: [{ dial: [route.l4Protocol === 'udp' ? `udp/${target}` : target] }],
    };
    if (route.proxyProtocol !== 'none') proxy.proxy_protocol = route.proxyProtocol;
    ports.push({ port, handle: route.l4TlsMode === 'terminate' ? [{ handler: 'tls' }, proxy] : [proxy] });
  }
  return ports;
}

/**
 * Database state → snapshot. Disabled routes and routes whose target cannot be resolved (a disabled peer, a
 * gateway without a tunnel address) are left out, so they fail closed: nothing listens for them.
 */
export function compileSnapshot(input: CompileInput): Snapshot {
  const routes: SnapshotRoute[] = [];
  for (const route of [...input.routes].sort((a, b) => a.id - b.id)) {
    if (!route.enabled) continue;
    const upstream = upstreamOf(route, input);
    if (!upstream) continue;
    const base = { id: String(route.id), policy: policyOf(route, input.peers) };
    if (route.type === 'http') {
      // A route with auth but nobody to ask stays out (fails closed), like an unresolvable target.
      if (!route.domain || (route.authEnabled && !input.authEndpoint)) continue;
      routes.push({
        ...base,
        http: {
          hosts: [route.domain],
          handle: httpHandlers(
            route,
            upstream,
            input.peers,
            input.authEndpoint,
            input.proxySecret,
            input.appTokenHeaders?.[route.id],
          ),
        },
        ...(route.tlsNames.length > 0 ? { tls_names: [...route.tlsNames] } : {}),
      });
    } else {
      const tls = route.l4TlsMode ?? 'none';
      routes.push({
        ...base,
        l4: {
          network: route.l4Protocol ?? 'tcp',
          tls_mode: tls,
          server_names: tls !== 'none' && route.domain ? [route.domain] : [],
          ports: l4Ports(route, upstream),
        },
      });
    }
  }
  return { version: input.version, routes };
}

/** A stable digest of a snapshot's content (not its version), to tell whether anything changed. */
export function contentHash(snapshot: Snapshot): string {
  return createHash('sha256').update(JSON.stringify(snapshot.routes)).digest('hex');
}
