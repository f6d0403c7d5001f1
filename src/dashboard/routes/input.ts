import { GATECONTROL_OFF } from '../../policy/gatecontrol.ts';
import { type Form, list, optNumber, str } from '../shared/forms.ts';

/** Every field name the form shows an error next to; anything else goes to the summary. */
export const ROUTE_FIELDS = [
  'policy_id',
  'type',
  'name',
  'enabled',
  'domain',
  'target_kind',
  'target_host',
  'target_port',
  'peer_id',
  'gateway_id',
  'target_lan_host',
  'target_lan_port',
  'pool',
  'pool.mode',
  'pool.balance',
  'pool.healthy_after',
  'pool.check_interval_seconds',
  'backend_https',
  'wol_enabled',
  'wol_mac',
  'l4_protocol',
  'l4_listen_port',
  'l4_tls_mode',
  'proxy_protocol',
  'acl_peers',
  'ip_filter_rules',
  'ip_filter_mode',
  'rate_limit_requests',
  'rate_limit_window',
  'auth_method',
  'auth_password',
  'auth_session_hours',
  'auth_provider_id',
  'auth_sso_domain',
  'custom_headers',
  'upstreams',
  'lb_policy',
  'health_check',
  'health_check.path',
  'health_check.interval_seconds',
  'health_check.timeout_seconds',
  'health_check.expect_status',
] as const;

const on = (form: Form, key: string) => list(form, key).includes('1');

/** Header rows; a row with neither name nor value is an unused blank row. */
function customHeaders(form: Form) {
  const values = list(form, 'header_value');
  const directions = list(form, 'header_direction');
  return list(form, 'header_name')
    .map((name, i) => ({
      name: name.trim(),
      value: values[i] ?? '',
      direction: directions[i] === 'response' ? 'response' : 'request',
    }))
    .filter((h) => h.name !== '' || h.value.trim() !== '');
}

/** Extra upstream rows; blank rows are ignored, a half-filled row reaches the schema and gets its error. */
function upstreams(form: Form) {
  const ports = list(form, 'upstream_port');
  return list(form, 'upstream_host')
    .map((host, i) => ({ host: host.trim(), port: (ports[i] ?? '').trim() }))
    .filter((u) => u.host !== '' || u.port !== '')
    .map((u) => ({ host: u.host, port: u.port === '' ? null : Number(u.port) }));
}

/** Pool member rows (blank rows ignored); no member rows: no pool. Empty numbers fall back to the defaults. */
function pool(form: Form) {
  const hosts = list(form, 'pool_lan_host');
  const ports = list(form, 'pool_lan_port');
  const members = list(form, 'pool_gateway_id')
    .map((gateway, i) => ({ gateway: gateway.trim(), host: (hosts[i] ?? '').trim(), port: (ports[i] ?? '').trim() }))
    .filter((m) => m.gateway !== '' || m.host !== '' || m.port !== '')
    .map((m) => ({
      gateway_id: m.gateway === '' ? null : Number(m.gateway),
      target_lan_host: m.host,
      target_lan_port: m.port === '' ? null : Number(m.port),
    }));
  if (members.length === 0) return null;
  const n = (key: string) => (str(form, `pool_${key}`) === '' ? {} : { [key]: optNumber(form, `pool_${key}`) });
  return {
    mode: str(form, 'pool_mode') || 'failover',
    balance: str(form, 'pool_balance') || 'round_robin',
    members,
    ...n('healthy_after'),
    ...n('check_interval_seconds'),
  };
}

/** The health check when its box is ticked; empty numbers fall back to the schema's defaults. */
function healthCheck(form: Form) {
  if (!on(form, 'health_check_enabled')) return null;
  const n = (key: string) =>
    str(form, key) === '' ? {} : { [key.slice('health_check.'.length)]: optNumber(form, key) };
  return {
    path: str(form, 'health_check.path'),
    ...n('health_check.interval_seconds'),
    ...n('health_check.timeout_seconds'),
    ...n('health_check.expect_status'),
  };
}

/**
 * The form as the API's route fields. Fields the chosen type, target kind or TLS mode does not use are sent
 * as null, so switching an existing route from L4 to HTTP (say) clears them instead of failing validation.
 */
export function routeInput(form: Form) {
  const type = str(form, 'type') === 'l4' ? 'l4' : 'http';
  const l4 = type === 'l4';
  const kindRaw = str(form, 'target_kind');
  const kind = kindRaw === 'peer' || kindRaw === 'gateway' ? kindRaw : 'direct';
  const tls = str(form, 'l4_tls_mode') || 'none';
  const types = list(form, 'rule_type');
  const wol = kind === 'gateway' && on(form, 'wol_enabled');
  const password = typeof form.auth_password === 'string' ? form.auth_password : '';
  // The access section's picker: a shared policy (policy_id) or the route's own rules. Leaving a shared policy
  // sends policy_id null; the handler then gives the route a copy of that policy (nothing opens by surprise).
  const choice = str(form, 'policy_choice');
  const shared = /^\d{1,9}$/.test(choice) ? Number(choice) : undefined;
  const leaving = shared === undefined && /^\d{1,9}$/.test(str(form, 'policy_id'));
  const keepPolicy = shared !== undefined || leaving || str(form, 'policy_expressible') === '0';
  return {
    ...(shared !== undefined ? { policy_id: shared } : leaving ? { policy_id: null } : {}),
    type,
    ...(str(form, 'name') ? { name: str(form, 'name') } : {}),
    enabled: on(form, 'enabled'),
    domain: !l4 || tls !== 'none' ? str(form, 'domain') || null : null,
    target_kind: kind,
    target_host: kind === 'direct' ? str(form, 'target_host') || null : null,
    target_port: kind !== 'gateway' ? optNumber(form, 'target_port') : null,
    peer_id: kind === 'peer' ? optNumber(form, 'peer_id') : null,
    gateway_id: kind === 'gateway' ? optNumber(form, 'gateway_id') : null,
    target_lan_host: kind === 'gateway' ? str(form, 'target_lan_host') || null : null,
    target_lan_port: kind === 'gateway' ? optNumber(form, 'target_lan_port') : null,
    pool: kind === 'gateway' ? pool(form) : null,
    backend_https: !l4 && on(form, 'backend_https'),
    custom_headers: l4 ? [] : customHeaders(form),
    upstreams: !l4 && kind === 'direct' ? upstreams(form) : [],
    lb_policy: str(form, 'lb_policy') || 'round_robin',
    health_check: l4 ? null : healthCheck(form),
    wol_enabled: wol,
    wol_mac: wol ? str(form, 'wol_mac') || null : null,
    l4_protocol: l4 ? str(form, 'l4_protocol') || 'tcp' : null,
    l4_listen_port: l4 ? str(form, 'l4_listen_port') || null : null,
    l4_tls_mode: l4 ? tls : null,
    proxy_protocol: l4 ? str(form, 'proxy_protocol') || 'none' : 'none',
    // The GateControl view edits the policy only while it can show it (policy_expressible); otherwise the
    // form leaves the policy alone (writing these fields would be a 409).
    ...(keepPolicy
      ? {}
      : {
          acl_enabled: on(form, 'acl_enabled'),
          acl_peers: list(form, 'acl_peers').map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
          ip_filter_enabled: on(form, 'ip_filter_enabled'),
          ip_filter_mode: str(form, 'ip_filter_mode') || GATECONTROL_OFF.ip_filter_mode,
          ip_filter_rules: list(form, 'rule_value')
            .map((value, i) => ({ type: types[i] ?? 'ip', value: value.trim() }))
            .filter((r) => r.value !== ''),
          rate_limit_enabled: on(form, 'rate_limit_enabled'),
          ...(str(form, 'rate_limit_requests') ? { rate_limit_requests: optNumber(form, 'rate_limit_requests') } : {}),
          rate_limit_window: str(form, 'rate_limit_window') || GATECONTROL_OFF.rate_limit_window,
        }),
    ...(l4
      ? { ...(keepPolicy ? {} : { auth_enabled: false }), basic_auth_enabled: false }
      : {
          ...(keepPolicy ? {} : { auth_enabled: on(form, 'auth_enabled') }),
          auth_method: str(form, 'auth_method') || 'password',
          basic_auth_enabled: on(form, 'basic_auth_enabled'),
          ...(str(form, 'auth_session_hours') ? { auth_session_hours: optNumber(form, 'auth_session_hours') } : {}),
          ...(password ? { auth_password: password } : {}),
          auth_provider_id: optNumber(form, 'auth_provider_id'),
          auth_sso_domain: str(form, 'auth_sso_domain') || null,
        }),
  };
}

/** "Use 20001" on a conflict fills the suggestion in and shows the form again for a last look. */
export function useSuggestion(form: Form): Form | undefined {
  const port = str(form, 'use_port');
  return /^\d{1,5}(-\d{1,5})?$/.test(port) ? { ...form, l4_listen_port: port } : undefined;
}
