import { domainToASCII } from 'node:url';
import { z } from '@hono/zod-openapi';
import {
  AUTH_METHODS,
  L4_PROTOCOLS,
  L4_TLS_MODES,
  LB_POLICIES,
  PROXY_PROTOCOLS,
  ROUTE_TYPES,
  TARGET_KINDS,
} from '../db/schema/routes.ts';
import { IP_FILTER_MODES } from '../policy/gatecontrol.ts';
import { PolicySchema, RATE_LIMIT_WINDOWS } from '../policy/schema.ts';
import { PoolSchema } from '../pool/schema.ts';
import { PaginationQuery, Timestamp } from './common.ts';

/**
 * Host names as people type them → the form Caddy and SNI use: lower case, IDNA (punycode), no trailing dot.
 * A leading `*.` wildcard label is kept; wildcards anywhere else are refused.
 */
export function normalizeDomain(input: string): { value: string } | { error: string } {
  let value = input.trim().toLowerCase().replace(/\.$/, '');
  const wildcard = value.startsWith('*.');
  if (wildcard) value = value.slice(2);
  if (value.includes('*')) return { error: 'a wildcard is only allowed as the whole first label, e.g. *.example.com' };
  const ascii = domainToASCII(value);
  if (!ascii) return { error: `"${input}" is not a valid domain name` };
  const labels = ascii.split('.');
  const labelOk = (l: string) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l);
  if (ascii.length > 253 || labels.length < 2 || !labels.every(labelOk) || /^\d+$/.test(labels.at(-1)!)) {
    return { error: `"${input}" is not a fully qualified domain name (e.g. app.example.com)` };
  }
  return { value: wildcard ? `*.${ascii}` : ascii };
}

/**
 * The single sign-on cookie's parent domain (`auth_sso_domain`): a domain name, normalised like a route's domain
 * (lower case, IDNA, a leading `.` as cookies write it dropped), no wildcard. That it is a strict parent of the
 * route's domain is checked with the route (src/services/route-auth/rules.ts).
 */
export const SsoDomainSchema = z
  .string()
  .max(253, 'must be at most 253 characters')
  .transform((value, ctx) => {
    const text = value.trim().replace(/^\./, '');
    const n = text.includes('*')
      ? { error: 'must be a domain name without a wildcard, e.g. example.com' }
      : normalizeDomain(text);
    if ('error' in n) {
      ctx.addIssue({ code: 'custom', message: n.error });
      return z.NEVER;
    }
    return n.value;
  })
  .openapi({ type: 'string', example: 'example.com' });

/** A route's tls_names at most (the data plane's snapshot.MaxTLSNames). */
export const MAX_TLS_NAMES = 100;

const port = z.number().int('must be a whole number').min(1, 'must be 1–65535').max(65535, 'must be 1–65535');

/** `2222`, `"2222"` or `"2000-2099"`. Range limits are checked with the configuration, not here. */
export const ListenPortSchema = z
  .union([z.number(), z.string()])
  .transform((value, ctx) => {
    const text = String(value).trim();
    const m = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/.exec(text);
    const start = m ? Number(m[1]) : Number.NaN;
    const end = m?.[2] ? Number(m[2]) : start;
    if (!m || start < 1 || end > 65535 || start > 65535) {
      ctx.addIssue({ code: 'custom', message: 'must be a port 1–65535 or a range like 2000-2099' });
      return z.NEVER;
    }
    if (end < start) {
      ctx.addIssue({ code: 'custom', message: `the range ${text} ends before it starts` });
      return z.NEVER;
    }
    return { start, end };
  })
  .openapi({ type: 'string', example: '2000-2099', description: 'A port, or a range of at most 100 ports' });

export const IpFilterRuleSchema = z.strictObject({
  type: z.enum(['ip', 'cidr', 'country']),
  value: z.string().trim().min(1, 'is required').max(64),
});

export const CustomHeaderSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, 'must be a valid header name'),
  value: z
    .string()
    .max(4096)
    .refine((v) => !/[\r\n\0]/.test(v), 'must not contain line breaks'),
  direction: z.enum(['request', 'response']).default('request'),
});

export const UpstreamSchema = z.strictObject({ host: z.string().trim().min(1).max(253), port });

export const HealthCheckSchema = z.strictObject({
  path: z.string().startsWith('/', 'must start with /').max(1024),
  interval_seconds: z.number().int().min(1).max(3600).default(30),
  timeout_seconds: z.number().int().min(1).max(60).default(5),
  expect_status: z.number().int().min(100).max(599).optional(),
});

const mac = z
  .string()
  .trim()
  .transform((v) => v.toLowerCase().replace(/-/g, ':'))
  .refine((v) => /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(v), 'must be a MAC address like aa:bb:cc:dd:ee:ff');

/**
 * Every writable route field, all optional: POST fills defaults, PUT is a partial update. Cross-field rules
 * (what each type and target kind needs) are checked on the merged result by the route service.
 */
export const RouteFieldsSchema = z.strictObject({
  type: z.enum(ROUTE_TYPES).optional(),
  name: z.string().trim().min(1, 'must not be empty').max(100).optional(),
  enabled: z.boolean().optional(),
  domain: z.string().max(253).nullable().optional(),
  target_kind: z.enum(TARGET_KINDS).optional(),
  target_host: z.string().trim().max(253).nullable().optional(),
  target_port: port.nullable().optional(),
  peer_id: z.number().int().positive().nullable().optional(),
  gateway_id: z.number().int().positive().nullable().optional(),
  target_lan_host: z.string().trim().max(253).nullable().optional(),
  target_lan_port: port.nullable().optional(),
  pool: PoolSchema.nullable().optional(),
  backend_https: z.boolean().optional(),
  custom_headers: z.array(CustomHeaderSchema).max(50).optional(),
  upstreams: z.array(UpstreamSchema).max(20).optional(),
  lb_policy: z.enum(LB_POLICIES).optional(),
  health_check: HealthCheckSchema.nullable().optional(),
  wol_enabled: z.boolean().optional(),
  wol_mac: mac.nullable().optional(),
  l4_protocol: z.enum(L4_PROTOCOLS).nullable().optional(),
  l4_listen_port: ListenPortSchema.nullable().optional(),
  l4_tls_mode: z.enum(L4_TLS_MODES).nullable().optional(),
  proxy_protocol: z.enum(PROXY_PROTOCOLS).optional(),
  policy_id: z.number().int().positive().nullable().optional().openapi({
    description: 'A shared policy (/api/v1/policies); null: the route uses its own `policy`',
  }),
  policy: PolicySchema.nullable()
    .optional()
    .openapi({ description: "The route's own access policy (used when policy_id is null)" }),
  acl_enabled: z.boolean().optional(),
  acl_peers: z
    .array(
      z.union([
        z.number().int().positive(),
        z.string().regex(/^tag:[a-z0-9][a-z0-9_-]{0,31}$/, 'must be a peer id or tag:<group>'),
      ]),
    )
    .max(1000)
    .optional(),
  ip_filter_enabled: z.boolean().optional(),
  ip_filter_mode: z.enum(IP_FILTER_MODES).optional(),
  ip_filter_rules: z.array(IpFilterRuleSchema).max(10_000).optional(),
  tls_names: z
    .array(z.string().max(253))
    .max(MAX_TLS_NAMES, `at most ${MAX_TLS_NAMES} names`)
    .optional()
    .openapi({
      description:
        'Wildcard HTTP routes: the names under the wildcard that may get a certificate on demand; others get none',
      example: ['app.example.com'],
    }),
  rate_limit_enabled: z.boolean().optional(),
  rate_limit_requests: z
    .number()
    .int('must be a whole number')
    .min(1, 'must be 1–100000')
    .max(100_000, 'must be 1–100000')
    .optional(),
  rate_limit_window: z.enum(RATE_LIMIT_WINDOWS, { message: 'must be one of 1s, 1m, 5m, 1h' }).optional(),
  auth_enabled: z.boolean().optional(),
  auth_method: z.enum(AUTH_METHODS, { message: 'must be password, password_totp or oidc' }).optional(),
  auth_password: z
    .string()
    .min(8, 'must be at least 8 characters')
    .max(1024)
    .nullable()
    .optional()
    .openapi({ description: 'Write-only shared password (stored as an argon2id hash); null removes it' }),
  basic_auth_enabled: z.boolean().optional(),
  auth_session_hours: z
    .number()
    .int('must be a whole number')
    .min(1, 'must be 1–8760')
    .max(8760, 'must be 1–8760')
    .optional(),
  auth_provider_id: z
    .number()
    .int('must be a whole number')
    .positive('must be an identity provider id')
    .nullable()
    .optional()
    .openapi({ description: 'auth_method oidc: the identity provider (for_routes) the login page sends users to' }),
  auth_sso_domain: SsoDomainSchema.nullable()
    .optional()
    .openapi({
      description:
        'auth_method oidc, opt-in single sign-on: the parent domain (e.g. example.com) the session cookie is set on; ' +
        'routes under it with the same provider and auth_sso_domain share the login (each policy still decides)',
    }),
});

export const CreateRouteSchema = RouteFieldsSchema.openapi('CreateRoute');
export const UpdateRouteSchema = RouteFieldsSchema.openapi('UpdateRoute');
export type RouteFields = z.infer<typeof RouteFieldsSchema>;

export const RouteSchema = z
  .object({
    id: z.number().int(),
    type: z.enum(ROUTE_TYPES),
    name: z.string(),
    enabled: z.boolean(),
    domain: z.string().nullable(),
    target_kind: z.enum(TARGET_KINDS),
    target_host: z.string().nullable(),
    target_port: z.number().nullable(),
    peer_id: z.number().nullable(),
    gateway_id: z.number().nullable(),
    target_lan_host: z.string().nullable(),
    target_lan_port: z.number().nullable(),
    pool: PoolSchema.nullable(),
    gateway_port: z.number().nullable(),
    backend_https: z.boolean(),
    custom_headers: z.array(
      z.object({ name: z.string(), value: z.string(), direction: z.enum(['request', 'response']) }),
    ),
    upstreams: z.array(z.object({ host: z.string(), port: z.number() })),
    lb_policy: z.enum(LB_POLICIES),
    health_check: z
      .object({
        path: z.string(),
        interval_seconds: z.number(),
        timeout_seconds: z.number(),
        expect_status: z.number().optional(),
      })
      .nullable(),
    wol_enabled: z.boolean(),
    wol_mac: z.string().nullable(),
    l4_protocol: z.enum(L4_PROTOCOLS).nullable(),
    l4_listen_port: z.string().nullable().openapi({ example: '2222' }),
    l4_tls_mode: z.enum(L4_TLS_MODES).nullable(),
    proxy_protocol: z.enum(PROXY_PROTOCOLS),
    policy_id: z.number().nullable(),
    policy: PolicySchema.nullable().openapi({ description: "The route's own policy; null when policy_id is set" }),
    policy_expressible: z.boolean().openapi({
      description:
        'Whether the GateControl fields (acl_*, ip_filter_*, rate_limit_*, auth_enabled) show the policy exactly; when false they read as disabled and writing them is a 409',
    }),
    acl_enabled: z.boolean(),
    acl_peers: z.array(z.union([z.number(), z.string()])),
    ip_filter_enabled: z.boolean(),
    ip_filter_mode: z.enum(IP_FILTER_MODES),
    ip_filter_rules: z.array(z.object({ type: z.enum(['ip', 'cidr', 'country']), value: z.string() })),
    tls_names: z.array(z.string()),
    rate_limit_enabled: z.boolean(),
    rate_limit_requests: z.number(),
    rate_limit_window: z.enum(RATE_LIMIT_WINDOWS),
    auth_enabled: z.boolean(),
    auth_method: z.enum(AUTH_METHODS),
    auth_password_set: z.boolean().openapi({ description: 'Whether a shared password is set (it is never returned)' }),
    basic_auth_enabled: z.boolean(),
    auth_session_hours: z.number(),
    auth_provider_id: z.number().nullable(),
    auth_sso_domain: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('Route');
export type PublicRoute = z.infer<typeof RouteSchema>;

export const RouteListQuerySchema = z.object({
  type: z.enum(ROUTE_TYPES).optional(),
  target_kind: z.enum(TARGET_KINDS).optional(),
  gateway_id: z.coerce.number().int().positive().optional(),
  enabled: z.enum(['true', 'false']).optional(),
  q: z.string().max(100).optional().openapi({ description: 'Substring of name or domain' }),
  ...PaginationQuery,
});
export type RouteListQuery = z.infer<typeof RouteListQuerySchema>;
