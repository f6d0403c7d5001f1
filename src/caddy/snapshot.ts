import { createHash } from 'node:crypto';
import type { Route } from '../db/schema/routes.ts';
import {
  hasIdentityCondition,
  IDENTITY_CONDITIONS,
  OPEN_POLICY,
  type Policy,
  type PolicyCondition,
  type PolicyRule,
  policyUsesLogin,
} from '../policy/schema.ts';
import { IDENTITY_HANDLER, peerTable, type SnapshotPeer } from './identity-headers.ts';
import { type CompileLookups, compileLookups, PeerIndex, type PeerRef, type SharedPolicyRef } from './lookups.ts';
import { type GatewayPresence, httpPoolOptions, l4PoolOptions, poolMembers } from './pool.ts';
import { routeAuthHandlers } from './route-auth.ts';

/**
 * The module snapshot (docs/snapshot.md): everything users change, compiled from the database into the JSON
 * the gatehouse Caddy module swaps in without a reload. Pure functions; the output is built as data, so no
 * user-supplied text can inject config.
 */
/** A condition as the data plane gets it: `peer` and `peer_tag` carry the tunnel addresses they stand for. */
export type SnapshotCondition = PolicyCondition & { addresses?: string[] };
export type SnapshotRule = Omit<PolicyRule, 'conditions'> & { conditions: SnapshotCondition[] };
/** The stored policy (src/policy/schema.ts) with peers resolved, and the shared policy's name. */
export type SnapshotPolicy = Omit<Policy, 'rules'> & { name?: string; rules: SnapshotRule[] };

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
  /**
   * Who each VPN peer is, for the identity headers (identity-headers.ts): one table for the whole snapshot, so
   * a peer change leaves every route's bytes (and its provisioned handlers in the module) as they were.
   */
  peers: SnapshotPeer[];
}

export type { PeerRef, SharedPolicyRef };

/** A gateway as the compiler sees it: its tunnel address and whether it is in the pools' rotation (pool.ts). */
export type GatewayRef = GatewayPresence;

export interface CompileInput {
  version: number;
  routes: Route[];
  peers: PeerRef[];
  gateways: GatewayRef[];
  /** Shared policies (the `policies` table); a route names one by `policyId`. */
  policies?: SharedPolicyRef[];
  /** `host:port` of the control plane's verify endpoint and login pages; without it, auth routes stay out. */
  authEndpoint?: string | undefined;
  /** Sent with forward auth and the login pages so the control plane believes the client address (proxy-secret.ts). */
  proxySecret?: string | undefined;
  /** Route id → the headers its app tokens come in (deleted before the upstream after a successful verify). */
  appTokenHeaders?: Record<number, string[]> | undefined;
}

function resolveCondition(c: PolicyCondition, peers: PeerIndex): SnapshotCondition {
  if (c.type === 'peer') return { ...c, addresses: peers.addresses(c.values.map(Number), []) };
  if (c.type === 'peer_tag') return { ...c, addresses: peers.addresses([], c.values) };
  return c;
}

/**
 * The policy a route follows (its shared one, named, or its own) with peers resolved to addresses: disabled,
 * expired and deleted peers resolve to none. Undefined when the shared policy is missing (the route stays out).
 */
export function policyOf(route: Pick<Route, 'policyId' | 'policy'>, lookups: CompileLookups) {
  const shared = route.policyId === null ? undefined : lookups.policies.get(route.policyId);
  if (route.policyId !== null && !shared) return undefined;
  const policy = shared?.policy ?? route.policy ?? OPEN_POLICY;
  return { compiled: resolvePolicy(policy, lookups.peers, shared?.name), usesLogin: policyUsesLogin(policy) };
}

/**
 * A stored policy as the data plane reads it (docs/snapshot.md): peers resolved, a shared policy named. Identity
 * conditions (email, email_domain, group) are left out: the data plane never sees who logged in. Their rule
 * keeps its place (the same index) and asks for the login, and the verify endpoint checks them against the
 * rule that decided (src/route-auth/identity-check.ts).
 */
export function resolvePolicy(policy: Policy, peers: readonly PeerRef[] | PeerIndex, name?: string): SnapshotPolicy {
  const index = peers instanceof PeerIndex ? peers : new PeerIndex(peers);
  return {
    ...(name !== undefined ? { name } : {}),
    ...policy,
    rules: policy.rules.map((rule) => ({
      ...rule,
      ...(hasIdentityCondition(rule) ? { login: true } : {}),
      conditions: rule.conditions
        .filter((c) => !IDENTITY_CONDITIONS.includes(c.type))
        .map((c) => resolveCondition(c, index)),
    })),
  };
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

/**
 * Where Caddy sends a route's traffic: the hosts (several for a gateway pool, in priority order) and the first
 * port, by target kind. Undefined when unresolvable.
 */
export function upstreamOf(route: Route, lookups: CompileLookups): { hosts: string[]; port: number } | undefined {
  switch (route.targetKind) {
    case 'direct':
      return route.targetHost && route.targetPort ? { hosts: [route.targetHost], port: route.targetPort } : undefined;
    case 'peer': {
      const peer = route.peerId === null ? undefined : lookups.peers.byId.get(route.peerId);
      return peer?.enabled && route.targetPort ? { hosts: [peer.address], port: route.targetPort } : undefined;
    }
    case 'gateway': {
      const hosts = poolMembers(route, lookups.gateways);
      if (hosts.length === 0) return undefined;
      // Plain L4: the gateway listens on the same port as the server (1:1, ranges with offset). HTTP and TLS
      // routes (which may share a server port by SNI): on the port the route service allocated (the same
      // port on every pool member).
      const port = usesForwardPort(route) ? route.gatewayPort : route.l4ListenPortStart;
      return port ? { hosts, port } : undefined;
    }
  }
}

function httpHandlers(
  route: Route,
  upstream: { hosts: string[]; port: number },
  login: boolean,
  authEndpoint?: string,
  proxySecret?: string,
  tokenHeaders: string[] = [],
): Record<string, unknown>[] {
  const handlers: Record<string, unknown>[] = [
    { ...IDENTITY_HANDLER },
    ...(login && authEndpoint ? routeAuthHandlers(route, authEndpoint, proxySecret, tokenHeaders) : []),
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
    upstreams: [...upstream.hosts.map((host) => ({ host, port: upstream.port })), ...extra].map((u) => ({
      dial: hostPort(u.host, u.port),
    })),
    ...httpPoolOptions(route.pool, route),
  };
  if (extra.length > 0) proxy.load_balancing = { selection_policy: { policy: route.lbPolicy } };
  if (route.backendHttps) {
    // LAN services mostly present self-signed certificates; the tunnel or LAN is the trust boundary here.
    proxy.transport = { protocol: 'http', tls: { insecure_skip_verify: true } };
  }
  if (route.healthCheck && !route.pool) {
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

function l4Ports(route: Route, upstream: { hosts: string[]; port: number }): NonNullable<SnapshotRoute['l4']>['ports'] {
  const start = route.l4ListenPortStart!;
  const end = route.l4ListenPortEnd ?? start;
  const ports: NonNullable<SnapshotRoute['l4']>['ports'] = [];
  for (let port = start; port <= end; port++) {
    // A range maps 1:1 with offset: listen start+i → target start+i.
    const network = route.l4Protocol ?? 'tcp';
    const proxy: Record<string, unknown> = {
      handler: 'proxy',
      upstreams: upstream.hosts.map((host) => {
        const target = hostPort(host, upstream.port + (port - start));
        return { dial: [network === 'udp' ? `udp/${target}` : target] };
      }),
      ...l4PoolOptions(route.pool, network),
    };
    if (route.proxyProtocol !== 'none') proxy.proxy_protocol = route.proxyProtocol;
    ports.push({ port, handle: route.l4TlsMode === 'terminate' ? [{ handler: 'tls' }, proxy] : [proxy] });
  }
  return ports;
}

/**
 * Database state → snapshot. Disabled routes and routes whose target or policy cannot be resolved (a disabled
 * peer, a gateway without a tunnel address, a missing shared policy) are left out, so they fail closed.
 */
export function compileSnapshot(input: CompileInput): Snapshot {
  const routes: SnapshotRoute[] = [];
  const lookups = compileLookups(input);
  for (const route of [...input.routes].sort((a, b) => a.id - b.id)) {
    if (!route.enabled) continue;
    const upstream = upstreamOf(route, lookups);
    if (!upstream) continue;
    const policy = policyOf(route, lookups);
    if (!policy) continue;
    const base = { id: String(route.id), policy: policy.compiled };
    if (route.type === 'http') {
      // A route whose policy needs a login but has nobody to ask stays out (fails closed), like an
      // unresolvable target.
      if (!route.domain || (policy.usesLogin && !input.authEndpoint)) continue;
      const handle = httpHandlers(
        route,
        upstream,
        policy.usesLogin,
        input.authEndpoint,
        input.proxySecret,
        input.appTokenHeaders?.[route.id],
      );
      routes.push({
        ...base,
        http: { hosts: [route.domain], handle },
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
  return { version: input.version, routes, peers: peerTable(input.peers) };
}

/** A stable digest of a snapshot's content (not its version), to tell whether anything changed. */
export function contentHash(snapshot: Snapshot): string {
  return createHash('sha256')
    .update(JSON.stringify([snapshot.routes, snapshot.peers]))
    .digest('hex');
}
