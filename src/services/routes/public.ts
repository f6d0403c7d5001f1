import type { Route } from '../../db/schema/routes.ts';
import type { PublicRoute } from '../../schemas/routes.ts';
import { publicAccess } from './access.ts';

export function formatListenPort(start: number | null, end: number | null): string | null {
  if (start === null) return null;
  return end !== null && end !== start ? `${start}-${end}` : String(start);
}

/** The API shape of a route: GateControl's field names (docs/architecture.md#gatecontrol-compatibility). */
export function toPublicRoute(r: Route): PublicRoute {
  return {
    id: r.id,
    type: r.type,
    name: r.name,
    enabled: r.enabled,
    domain: r.domain,
    target_kind: r.targetKind,
    target_host: r.targetHost,
    target_port: r.targetPort,
    peer_id: r.peerId,
    gateway_id: r.gatewayId,
    target_lan_host: r.targetLanHost,
    target_lan_port: r.targetLanPort,
    pool: r.pool ?? null,
    gateway_port: r.gatewayPort,
    backend_https: r.backendHttps,
    custom_headers: r.customHeaders,
    upstreams: r.upstreams,
    lb_policy: r.lbPolicy,
    health_check: r.healthCheck ?? null,
    wol_enabled: r.wolEnabled,
    wol_mac: r.wolMac,
    l4_protocol: r.l4Protocol,
    l4_listen_port: formatListenPort(r.l4ListenPortStart, r.l4ListenPortEnd),
    l4_tls_mode: r.l4TlsMode,
    proxy_protocol: r.proxyProtocol,
    ...publicAccess(r),
    tls_names: r.tlsNames,
    auth_method: r.authMethod,
    auth_password_set: r.authPasswordHash !== null,
    basic_auth_enabled: r.basicAuthEnabled,
    auth_session_hours: r.authSessionHours,
    auth_provider_id: r.authProviderId,
    auth_sso_domain: r.authSsoDomain,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}
