import { judgeTargetHost } from '@gatehouse/protocol';
import type { Config } from '../../config/index.ts';
import type { NewRoute, Route } from '../../db/schema/routes.ts';
import { type FieldIssue, ValidationError } from '../../errors.ts';
import { OPEN_POLICY } from '../../policy/schema.ts';
import { normalizeDomain, type RouteFields } from '../../schemas/routes.ts';
import { applyAccessFields } from './access.ts';
import { normalizePool } from './pool.ts';
import { checkServerTarget } from './targets.ts';
import { normalizeTlsNames } from './tls-names.ts';

/** What a route will be once saved: the database row without id and timestamps. */
export type RouteDraft = Omit<NewRoute, 'id' | 'createdAt' | 'updatedAt'> &
  Pick<Route, 'tlsNames' | 'policyId' | 'policy'>;

/**
 * What a new route starts from: every column's default, declared once here (tests build rows from it too; the
 * GateControl view's defaults come from src/policy/gatecontrol.ts, the policy's from src/policy/schema.ts).
 */
export const ROUTE_DEFAULTS: RouteDraft = {
  type: 'http',
  name: '',
  enabled: true,
  domain: null,
  targetKind: 'direct',
  targetHost: null,
  targetPort: null,
  peerId: null,
  gatewayId: null,
  targetLanHost: null,
  targetLanPort: null,
  pool: null,
  gatewayPort: null,
  backendHttps: false,
  customHeaders: [],
  upstreams: [],
  lbPolicy: 'round_robin',
  healthCheck: null,
  wolEnabled: false,
  wolMac: null,
  l4Protocol: null,
  l4ListenPortStart: null,
  l4ListenPortEnd: null,
  l4TlsMode: null,
  proxyProtocol: 'none',
  policyId: null,
  policy: OPEN_POLICY,
  tlsNames: [],
  authMethod: 'password',
  authPasswordHash: null,
  basicAuthEnabled: false,
  authSessionHours: 24,
  authProviderId: null,
  authSsoDomain: null,
};

/**
 * API fields (GateControl's names, docs/architecture.md#gatecontrol-compatibility) onto a draft; absent fields keep
 * the base's value.
 */
export function applyFields(base: RouteDraft, f: RouteFields): RouteDraft {
  const d: RouteDraft = { ...base };
  const set = <K extends keyof RouteDraft>(key: K, value: RouteDraft[K] | undefined) => {
    if (value !== undefined) d[key] = value;
  };
  set('type', f.type);
  set('name', f.name);
  set('enabled', f.enabled);
  set('domain', f.domain);
  set('targetKind', f.target_kind);
  set('targetHost', f.target_host);
  set('targetPort', f.target_port);
  set('peerId', f.peer_id);
  set('gatewayId', f.gateway_id);
  set('targetLanHost', f.target_lan_host);
  set('targetLanPort', f.target_lan_port);
  set('pool', f.pool);
  set('backendHttps', f.backend_https);
  set('customHeaders', f.custom_headers);
  set('upstreams', f.upstreams);
  set('lbPolicy', f.lb_policy);
  set('healthCheck', f.health_check);
  set('wolEnabled', f.wol_enabled);
  set('wolMac', f.wol_mac);
  set('l4Protocol', f.l4_protocol);
  if (f.l4_listen_port !== undefined) {
    d.l4ListenPortStart = f.l4_listen_port?.start ?? null;
    d.l4ListenPortEnd = f.l4_listen_port?.end ?? null;
  }
  set('l4TlsMode', f.l4_tls_mode);
  set('proxyProtocol', f.proxy_protocol);
  set('tlsNames', f.tls_names);
  // The policy, or the GateControl fields that edit it (access.ts); 422 for mixing them, 409 when they cannot.
  const access = applyAccessFields(base, f);
  d.policyId = access.policyId;
  d.policy = access.policy;
  // auth_password is hashed by the caller (argon2 is async and slow: outside the transaction).
  set('authMethod', f.auth_method);
  set('basicAuthEnabled', f.basic_auth_enabled);
  set('authSessionHours', f.auth_session_hours);
  set('authProviderId', f.auth_provider_id);
  set('authSsoDomain', f.auth_sso_domain);
  return d;
}

export function newDraft(f: RouteFields): RouteDraft {
  return applyFields(ROUTE_DEFAULTS, f);
}

/**
 * Checks and normalises a draft on its own (no database): what each route type and target kind needs,
 * domains, ports and ranges, blocked ports, target addresses (the policy: prepare.ts). Collects every problem
 * and throws one ValidationError naming each field.
 */
export function normalizeDraft(draft: RouteDraft, config: Config): RouteDraft {
  const d: RouteDraft = { ...draft };
  const issues: FieldIssue[] = [];
  const issue = (field: string, message: string) => issues.push({ field, message });
  const isL4 = d.type === 'l4';

  if (d.domain) {
    const n = normalizeDomain(d.domain);
    if ('error' in n) issue('domain', n.error);
    else d.domain = n.value;
  } else d.domain = null;

  if (!isL4) {
    if (!d.domain) issue('domain', 'is required for HTTP routes');
    for (const [field, value] of [
      ['l4_protocol', d.l4Protocol],
      ['l4_listen_port', d.l4ListenPortStart],
      ['l4_tls_mode', d.l4TlsMode],
    ] as const) {
      if (value !== null && value !== undefined) issue(field, 'is only for L4 routes');
    }
    if (d.proxyProtocol !== 'none') issue('proxy_protocol', 'is only for L4 routes');
  } else {
    d.l4Protocol ??= 'tcp';
    d.l4TlsMode ??= 'none';
    if (d.l4ListenPortStart === null || d.l4ListenPortStart === undefined)
      issue('l4_listen_port', 'is required for L4 routes');
    const start = d.l4ListenPortStart ?? 0;
    const end = d.l4ListenPortEnd ?? start;
    d.l4ListenPortEnd = d.l4ListenPortStart === null ? null : end;
    const span = end - start + 1;
    if (span > config.l4.maxPortRange) {
      issue('l4_listen_port', `a range may hold at most ${config.l4.maxPortRange} ports (this one has ${span})`);
    }
    const sharedHttps =
      d.l4TlsMode === 'passthrough' && d.l4Protocol === 'tcp' && start === end && start === config.caddy.httpsPort;
    if (start > 0 && !sharedHttps) {
      const blocked = config.l4.blockedPorts.filter((p) => p >= start && p <= end);
      if (blocked.length > 0) {
        const why =
          blocked.includes(config.caddy.httpsPort) && d.l4TlsMode !== 'passthrough'
            ? ' (only TLS passthrough routes may share the HTTPS port)'
            : ' (GATEHOUSE_L4_BLOCKED_PORTS; the server needs these itself)';
        issue('l4_listen_port', `port ${blocked.join(', ')} is blocked${why}`);
      }
    }
    if (d.l4TlsMode !== 'none') {
      if (d.l4Protocol === 'udp') issue('l4_tls_mode', 'TLS modes need TCP');
      if (!d.domain) issue('domain', `is required for TLS mode ${d.l4TlsMode} (the SNI name that selects this route)`);
      if (d.domain?.startsWith('*.')) issue('domain', 'wildcards are not supported for SNI routing');
      if (start !== end)
        issue('l4_listen_port', 'TLS routes listen on a single port (SNI picks the route, not the port)');
    }
    if (d.proxyProtocol !== 'none' && d.l4Protocol === 'udp') issue('proxy_protocol', 'PROXY protocol needs TCP');
    const targetStart = d.targetKind === 'gateway' ? d.targetLanPort : d.targetPort;
    if (targetStart && targetStart + span - 1 > 65535) {
      issue(
        d.targetKind === 'gateway' ? 'target_lan_port' : 'target_port',
        `the target range would end past 65535 (${span} ports from ${targetStart})`,
      );
    }
  }

  // Every address a route may dial goes through one judge and is stored in its normal form (targets.ts).
  const checkHost = (field: string, host: string | null | undefined, port: number | null | undefined) => {
    if (!host) {
      issue(field, `is required for target_kind ${d.targetKind}`);
      return host;
    }
    const checked = checkServerTarget(host, port, config);
    if (checked.problem) issue(checked.field === 'port' ? field.replace('host', 'port') : field, checked.problem);
    return checked.host;
  };
  const needPort = (field: string, value: number | null | undefined) => {
    if (!value) issue(field, `is required for target_kind ${d.targetKind}`);
  };
  switch (d.targetKind) {
    case 'direct':
      d.targetHost = checkHost('target_host', d.targetHost, d.targetPort) ?? null;
      needPort('target_port', d.targetPort);
      d.peerId = d.gatewayId = null;
      d.targetLanHost = null;
      d.targetLanPort = null;
      break;
    case 'peer':
      if (!d.peerId) issue('peer_id', 'is required for target_kind peer');
      needPort('target_port', d.targetPort);
      d.targetHost = null;
      d.gatewayId = null;
      d.targetLanHost = null;
      d.targetLanPort = null;
      break;
    case 'gateway':
      if (!d.gatewayId) issue('gateway_id', 'is required for target_kind gateway');
      // The agent dials it, not this server: only the shared judge here; prepare.ts adds lan_networks.
      if (!d.targetLanHost) issue('target_lan_host', 'is required for target_kind gateway');
      else {
        const judged = judgeTargetHost(d.targetLanHost);
        if (judged.problem) issue('target_lan_host', judged.problem);
        else d.targetLanHost = judged.host;
      }
      needPort('target_lan_port', d.targetLanPort);
      d.pool = normalizePool(d, issue);
      d.targetHost = null;
      d.targetPort = null;
      d.peerId = null;
      break;
  }
  // Like peer_id and gateway_id, a pool belongs to gateway targets only.
  if (d.targetKind !== 'gateway') d.pool = null;
  if (d.targetKind !== 'gateway' || (isL4 && d.l4TlsMode === 'none')) d.gatewayPort = null;

  if (d.targetKind !== 'direct' && d.upstreams.length > 0)
    issue('upstreams', 'extra upstreams are only for direct targets');
  d.upstreams = d.upstreams.map((u, i) => {
    const checked = checkServerTarget(u.host, u.port, config);
    if (checked.problem) issue(`upstreams.${i}.${checked.field}`, checked.problem);
    return { ...u, host: checked.host };
  });
  if (isL4) {
    if (d.upstreams.length > 0) issue('upstreams', 'are only for HTTP routes');
    if (d.customHeaders.length > 0) issue('custom_headers', 'are only for HTTP routes');
    if (d.healthCheck) issue('health_check', 'is only for HTTP routes');
    if (d.backendHttps) issue('backend_https', 'is only for HTTP routes');
  }
  if (d.wolEnabled) {
    if (d.targetKind !== 'gateway')
      issue('wol_enabled', 'Wake-on-LAN needs a gateway target (the gateway sends the magic packet)');
    if (!d.wolMac) issue('wol_mac', 'is required when wol_enabled is true');
  }

  d.tlsNames = normalizeTlsNames(d, issue);
  if (!d.name) d.name = d.domain ?? (isL4 ? `${d.l4Protocol} ${d.l4ListenPortStart ?? ''}`.trim() : 'route');

  if (issues.length > 0) throw new ValidationError(issues);
  return d;
}
