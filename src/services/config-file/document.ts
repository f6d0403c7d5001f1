import { asc } from 'drizzle-orm';
import { secretBoxFor } from '../../auth/secret-box.ts';
import type { Config } from '../../config/index.ts';
import type { DbOrTx } from '../../db/index.ts';
import { gateways, identityProviders, peers, policies, routeAuthUsers, routes } from '../../db/schema/index.ts';
import type { Peer } from '../../db/schema/peers.ts';
import type { Route } from '../../db/schema/routes.ts';
import { ConflictError } from '../../errors.ts';
import type { Policy } from '../../policy/schema.ts';
import type { Pool } from '../../pool/schema.ts';
import { CONFIG_FILE_VERSION } from '../../schemas/config-file.ts';
import { subnetOf } from '../peers/rules.ts';
import { formatListenPort } from '../routes/public.ts';
import { RUNTIME_DEFAULTS, readRuntimeSettings } from '../settings/runtime.ts';

/**
 * The canonical configuration document: what `gatehouse export` writes and what plans compare. Every entry has
 * every field (defaults written out), sections are sorted by name and references are names, so the same state
 * always gives the same bytes and a file exported here applies to a fresh server.
 */
export interface CanonicalPolicy {
  name: string;
  description: string;
  policy: Policy;
}
export type CanonicalEntry = Record<string, unknown> & { name: string };
export interface CanonicalDocument {
  version: typeof CONFIG_FILE_VERSION;
  settings: Record<string, unknown>;
  policies: CanonicalEntry[];
  peers: CanonicalEntry[];
  gateways: CanonicalEntry[];
  routes: CanonicalEntry[];
}

/** A policy's peer conditions with names instead of ids (`rename` maps one value). */
export function mapPeerValues(policy: Policy, rename: (value: string) => string): Policy {
  return {
    ...policy,
    rules: policy.rules.map((rule) => ({
      ...rule,
      conditions: rule.conditions.map((c) => (c.type === 'peer' ? { ...c, values: c.values.map(rename) } : c)),
    })),
  };
}

export function peerEntry(row: Peer, config: Config, withSecrets: boolean): CanonicalEntry {
  const subnet = subnetOf(config).cidr;
  return {
    name: row.name,
    public_key: row.publicKey,
    ...(withSecrets
      ? {
          private_key: secretBoxFor(config).openNullable(row.privateKey) ?? undefined,
          preshared_key: row.presharedKey,
        }
      : {}),
    address: row.address,
    dns: row.dns,
    allowed_ips: row.allowedIps.filter((c) => c !== subnet),
    tunnel_mode: row.tunnelMode,
    persistent_keepalive: row.persistentKeepalive,
    enabled: row.enabled,
    expires_at: row.expiresAt?.toISOString() ?? null,
    tags: row.tags,
    is_gateway: row.isGateway,
  };
}

export interface NameMaps {
  peerName: Map<number, string>;
  gatewayName: Map<number, string>;
  policyName: Map<number, string>;
  /** Identity providers are not in the file (they hold a client secret); routes name theirs. */
  providerName: Map<number, string>;
}

/** A route row as a file entry. Fields that are not the route's own (ids, the allocated gateway_port) are left out. */
export function routeEntry(
  r: Omit<Route, 'id' | 'createdAt' | 'updatedAt'>,
  names: NameMaps,
  users: CanonicalEntry['users'],
  withSecrets: boolean,
): CanonicalEntry {
  const peerName = (id: string) => names.peerName.get(Number(id)) ?? id;
  return {
    name: r.name,
    type: r.type,
    enabled: r.enabled,
    domain: r.domain,
    target_kind: r.targetKind,
    target_host: r.targetHost,
    target_port: r.targetPort,
    peer: r.peerId === null ? null : (names.peerName.get(r.peerId) ?? null),
    gateway: r.gatewayId === null ? null : (names.gatewayName.get(r.gatewayId) ?? null),
    target_lan_host: r.targetLanHost,
    target_lan_port: r.targetLanPort,
    pool: r.pool ? poolEntry(r.pool, names.gatewayName) : null,
    backend_https: r.backendHttps,
    custom_headers: r.customHeaders,
    upstreams: r.upstreams,
    lb_policy: r.lbPolicy,
    health_check: r.healthCheck ?? null,
    wol_enabled: r.wolEnabled,
    wol_mac: r.wolMac,
    l4_protocol: r.l4Protocol,
    l4_listen_port: formatListenPort(r.l4ListenPortStart ?? null, r.l4ListenPortEnd ?? null),
    l4_tls_mode: r.l4TlsMode,
    proxy_protocol: r.proxyProtocol,
    policy:
      r.policyId !== null
        ? (names.policyName.get(r.policyId) ?? null)
        : r.policy
          ? mapPeerValues(r.policy, peerName)
          : null,
    tls_names: r.tlsNames,
    auth_method: r.authMethod,
    ...(withSecrets ? { auth_password_hash: r.authPasswordHash } : {}),
    basic_auth_enabled: r.basicAuthEnabled,
    auth_session_hours: r.authSessionHours,
    auth_provider: r.authProviderId === null ? null : (names.providerName.get(r.authProviderId) ?? null),
    auth_sso_domain: r.authSsoDomain,
    users,
  };
}

/** A pool with its members' gateways by name (ids only match on this server; apply resolves the names). */
function poolEntry(pool: Pool, gatewayName: Map<number, string>) {
  return {
    mode: pool.mode,
    balance: pool.balance,
    members: pool.members.map((m) => ({
      gateway: gatewayName.get(m.gateway_id) ?? null,
      target_lan_host: m.target_lan_host,
      target_lan_port: m.target_lan_port,
    })),
    healthy_after: pool.healthy_after,
    check_interval_seconds: pool.check_interval_seconds,
  };
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Route names are the file's identity for routes; two routes with one name cannot be told apart. */
function assertUniqueRouteNames(rows: { name: string }[]) {
  const seen = new Set<string>();
  for (const { name } of rows) {
    if (seen.has(name))
      throw new ConflictError(
        `two routes are named "${name}"; the configuration file names routes, so rename one before exporting or applying`,
        { field: 'routes' },
      );
    seen.add(name);
  }
}

/** The whole configuration as the canonical document (private keys, preshared keys and hashes only with secrets). */
export async function readCanonical(db: DbOrTx, config: Config, withSecrets: boolean): Promise<CanonicalDocument> {
  const box = secretBoxFor(config);
  const [peerRows, gatewayRows, policyRows, routeRows, userRows, providerRows, runtime] = await Promise.all([
    db.select().from(peers).orderBy(asc(peers.id)),
    db.select().from(gateways).orderBy(asc(gateways.id)),
    db.select().from(policies).orderBy(asc(policies.id)),
    db.select().from(routes).orderBy(asc(routes.id)),
    db.select().from(routeAuthUsers).orderBy(asc(routeAuthUsers.username)),
    db.select({ id: identityProviders.id, name: identityProviders.name }).from(identityProviders),
    readRuntimeSettings(db),
  ]);
  assertUniqueRouteNames(routeRows);
  const names: NameMaps = {
    peerName: new Map(peerRows.map((p) => [p.id, p.name])),
    gatewayName: new Map(gatewayRows.map((g) => [g.id, g.name])),
    policyName: new Map(policyRows.map((p) => [p.id, p.name])),
    providerName: new Map(providerRows.map((p) => [p.id, p.name])),
  };
  const peerName = (id: string) => names.peerName.get(Number(id)) ?? id;
  const usersOf = (routeId: number) =>
    userRows
      .filter((u) => u.routeId === routeId)
      .map((u) => ({
        username: u.username,
        ...(withSecrets ? { password_hash: u.passwordHash, totp_secret: box.openNullable(u.totpSecret) } : {}),
      }));
  return {
    version: CONFIG_FILE_VERSION,
    settings: { ...RUNTIME_DEFAULTS, ...runtime },
    policies: policyRows
      .map((p) => ({ name: p.name, description: p.description, policy: mapPeerValues(p.policy, peerName) }))
      .sort(byName),
    peers: peerRows.map((p) => peerEntry(p, config, withSecrets)).sort(byName),
    gateways: gatewayRows
      .map((g) => ({
        name: g.name,
        peer: g.peerId === null ? null : (names.peerName.get(g.peerId) ?? null),
        lan_networks: g.lanNetworks,
      }))
      .sort(byName),
    routes: routeRows.map((r) => routeEntry(r, names, usersOf(r.id), withSecrets)).sort(byName),
  };
}

/** Drops undefined values (an absent secret) so YAML and JSON both leave the key out. */
export function withoutUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
