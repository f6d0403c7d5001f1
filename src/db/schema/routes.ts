import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { Policy } from '../../policy/schema.ts';
import type { Pool } from '../../pool/schema.ts';
import { identityProviders } from './identity-providers.ts';
import { policies } from './policies.ts';

export const ROUTE_TYPES = ['http', 'l4'] as const;
export const TARGET_KINDS = ['direct', 'peer', 'gateway'] as const;
export const L4_PROTOCOLS = ['tcp', 'udp'] as const;
export const L4_TLS_MODES = ['none', 'passthrough', 'terminate'] as const;
export const PROXY_PROTOCOLS = ['none', 'v1', 'v2'] as const;
export const LB_POLICIES = ['round_robin', 'least_conn', 'random', 'first', 'ip_hash'] as const;
export const AUTH_METHODS = ['password', 'password_totp', 'oidc'] as const;

export interface CustomHeader {
  name: string;
  value: string;
  /** `request` headers go to the upstream, `response` headers to the client. */
  direction: 'request' | 'response';
}
export interface Upstream {
  host: string;
  port: number;
}
export interface HealthCheck {
  path: string;
  interval_seconds: number;
  timeout_seconds: number;
  expect_status?: number | undefined;
}

/**
 * Published services. Field names on the wire follow GateControl's API
 * (docs/architecture.md#gatecontrol-compatibility); the columns are the same names in snake_case.
 */
export const routes = sqliteTable(
  'routes',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    type: text({ enum: ROUTE_TYPES }).notNull(),
    name: text().notNull(),
    enabled: integer({ mode: 'boolean' }).notNull().default(true),
    /** HTTP: the host name (unique among HTTP routes). L4 with TLS: the SNI name. Normalised lower-case IDNA. */
    domain: text(),
    targetKind: text({ enum: TARGET_KINDS }).notNull(),
    /** direct: host (IP or name) reachable from the server. */
    targetHost: text(),
    /** direct and peer: the target port (for an L4 range, the first port of the target range). */
    targetPort: integer(),
    peerId: integer(),
    gatewayId: integer(),
    targetLanHost: text(),
    targetLanPort: integer(),
    /** Gateway routes: more gateways for the same service (src/pool/schema.ts); null for a single gateway. */
    pool: text({ mode: 'json' }).$type<Pool>(),
    /** HTTP gateway routes: the port on the gateway's tunnel IP that Caddy proxies to (allocated). */
    gatewayPort: integer(),
    backendHttps: integer({ mode: 'boolean' }).notNull().default(false),
    customHeaders: text({ mode: 'json' }).$type<CustomHeader[]>().notNull(),
    upstreams: text({ mode: 'json' }).$type<Upstream[]>().notNull(),
    lbPolicy: text({ enum: LB_POLICIES }).notNull().default('round_robin'),
    healthCheck: text({ mode: 'json' }).$type<HealthCheck | null>(),
    wolEnabled: integer({ mode: 'boolean' }).notNull().default(false),
    wolMac: text(),
    l4Protocol: text({ enum: L4_PROTOCOLS }),
    /** First and last listen port; equal for a single port. */
    l4ListenPortStart: integer(),
    l4ListenPortEnd: integer(),
    l4TlsMode: text({ enum: L4_TLS_MODES }),
    proxyProtocol: text({ enum: PROXY_PROTOCOLS }).notNull().default('none'),
    /** A shared access policy (src/db/schema/policies.ts); no cascade: a policy in use cannot be deleted. */
    policyId: integer().references(() => policies.id),
    /** The route's own policy (src/policy/schema.ts), used when policy_id is null; null while it is set. */
    policy: text({ mode: 'json' }).$type<Policy>(),
    /**
     * Wildcard HTTP routes: the names under the wildcard that may get an on-demand certificate (any other name
     * under it gets none: caddy-module/permission.go). Normalised, each one label below the wildcard, ≤ 100.
     */
    tlsNames: text({ mode: 'json' }).$type<string[]>().notNull().default([]),
    /** Route auth (HTTP): HOW a client logs in (the policy says WHO must), checked through forward auth. */
    authMethod: text({ enum: AUTH_METHODS }).notNull().default('password'),
    /** The shared password's argon2id hash; the API only says whether one is set. */
    authPasswordHash: text(),
    /** HTTP Basic against the same credentials instead of the login page. */
    basicAuthEnabled: integer({ mode: 'boolean' }).notNull().default(false),
    authSessionHours: integer().notNull().default(24),
    /** auth_method oidc: the identity provider (for_routes) the login page sends the browser to; in use, it cannot be removed. */
    authProviderId: integer().references(() => identityProviders.id),
    /**
     * auth_method oidc, opt-in: the parent domain the single sign-on cookie is set on (a strict parent of the route's
     * domain, two labels or more); routes with the same provider and parent domain accept each other's sessions.
     */
    authSsoDomain: text(),
    createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer({ mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    index('routes_type_idx').on(t.type),
    index('routes_domain_idx').on(t.domain),
    index('routes_listen_idx').on(t.l4ListenPortStart, t.l4ListenPortEnd),
    index('routes_gateway_idx').on(t.gatewayId),
    index('routes_policy_idx').on(t.policyId),
  ],
);

export type Route = typeof routes.$inferSelect;
export type NewRoute = typeof routes.$inferInsert;
