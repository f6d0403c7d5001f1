import { GATECONTROL_OFF } from '../../policy/gatecontrol.ts';
import type { PublicRoute } from '../../schemas/routes.ts';
import { ROUTE_DEFAULTS } from '../../services/routes/resolve.ts';
import type { Form } from '../shared/forms.ts';

/** What the form offers to choose from: peers (and their tags) for targets and ACLs, gateways for LAN targets. */
export interface RouteFormOptions {
  peers: { id: number; name: string; address: string; enabled: boolean; tags: string[] }[];
  gateways: { id: number; name: string }[];
  /** Shared policies the access section can pick instead of the route's own rules. */
  policies: { id: number; name: string }[];
  /** Identity providers for route logins (for_routes): the choices of auth_provider_id. */
  identityProviders: { id: number; name: string }[];
}

/** A stored route as form values (the same names as the API fields). */
export function routeValues(r: PublicRoute): Form {
  const yes = (b: boolean) => (b ? '1' : '0');
  return {
    type: r.type,
    name: r.name,
    enabled: yes(r.enabled),
    domain: r.domain ?? '',
    target_kind: r.target_kind,
    target_host: r.target_host ?? '',
    target_port: r.target_port?.toString() ?? '',
    peer_id: r.peer_id?.toString() ?? '',
    gateway_id: r.gateway_id?.toString() ?? '',
    target_lan_host: r.target_lan_host ?? '',
    target_lan_port: r.target_lan_port?.toString() ?? '',
    pool_gateway_id: (r.pool?.members ?? []).map((m) => String(m.gateway_id)),
    pool_lan_host: (r.pool?.members ?? []).map((m) => m.target_lan_host),
    pool_lan_port: (r.pool?.members ?? []).map((m) => String(m.target_lan_port)),
    pool_mode: r.pool?.mode ?? 'failover',
    pool_balance: r.pool?.balance ?? 'round_robin',
    pool_healthy_after: String(r.pool?.healthy_after ?? 2),
    pool_check_interval_seconds: String(r.pool?.check_interval_seconds ?? 5),
    backend_https: yes(r.backend_https),
    header_name: r.custom_headers.map((h) => h.name),
    header_value: r.custom_headers.map((h) => h.value),
    header_direction: r.custom_headers.map((h) => h.direction),
    upstream_host: r.upstreams.map((u) => u.host),
    upstream_port: r.upstreams.map((u) => String(u.port)),
    lb_policy: r.lb_policy,
    health_check_enabled: yes(r.health_check !== null),
    'health_check.path': r.health_check?.path ?? '',
    'health_check.interval_seconds': String(r.health_check?.interval_seconds ?? 30),
    'health_check.timeout_seconds': String(r.health_check?.timeout_seconds ?? 5),
    'health_check.expect_status': r.health_check?.expect_status?.toString() ?? '',
    wol_enabled: yes(r.wol_enabled),
    wol_mac: r.wol_mac ?? '',
    l4_protocol: r.l4_protocol ?? 'tcp',
    l4_listen_port: r.l4_listen_port ?? '',
    l4_tls_mode: r.l4_tls_mode ?? 'none',
    proxy_protocol: r.proxy_protocol,
    policy_id: r.policy_id?.toString() ?? '',
    policy_choice: r.policy_id?.toString() ?? '',
    policy_expressible: yes(r.policy_expressible),
    acl_enabled: yes(r.acl_enabled),
    acl_peers: r.acl_peers.map(String),
    ip_filter_enabled: yes(r.ip_filter_enabled),
    ip_filter_mode: r.ip_filter_mode,
    rule_type: r.ip_filter_rules.map((x) => x.type),
    rule_value: r.ip_filter_rules.map((x) => x.value),
    rate_limit_enabled: yes(r.rate_limit_enabled),
    rate_limit_requests: String(r.rate_limit_requests),
    rate_limit_window: r.rate_limit_window,
    auth_enabled: yes(r.auth_enabled),
    auth_method: r.auth_method,
    basic_auth_enabled: yes(r.basic_auth_enabled),
    auth_session_hours: String(r.auth_session_hours),
    auth_provider_id: r.auth_provider_id?.toString() ?? '',
    auth_sso_domain: r.auth_sso_domain ?? '',
  };
}

/** A new route's form: the route's and the GateControl view's defaults, declared where they belong. */
export const NEW_ROUTE_VALUES: Form = {
  type: ROUTE_DEFAULTS.type,
  enabled: '1',
  target_kind: ROUTE_DEFAULTS.targetKind,
  l4_protocol: 'tcp',
  l4_tls_mode: 'none',
  proxy_protocol: ROUTE_DEFAULTS.proxyProtocol ?? 'none',
  ip_filter_mode: GATECONTROL_OFF.ip_filter_mode,
  rate_limit_requests: String(GATECONTROL_OFF.rate_limit_requests),
  rate_limit_window: GATECONTROL_OFF.rate_limit_window,
  auth_method: ROUTE_DEFAULTS.authMethod ?? 'password',
  auth_session_hours: String(ROUTE_DEFAULTS.authSessionHours),
  lb_policy: ROUTE_DEFAULTS.lbPolicy ?? 'round_robin',
  'health_check.path': '/',
  'health_check.interval_seconds': '30',
  'health_check.timeout_seconds': '5',
};
