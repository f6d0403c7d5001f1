import { agentOutdated } from '@gatehouse/protocol';
import { randomSecret, sha256Hex } from '../../auth/secrets.ts';
import type { Gateway } from '../../db/schema/index.ts';
import type { PublicGateway } from '../../schemas/gateways.ts';

export const GATEWAY_TOKEN_PREFIX = 'gtw_';

/** A new agent token: the full string is shown once; only `hash` is stored. */
export function newGatewayToken(): { token: string; hash: string; prefix: string } {
  const token = GATEWAY_TOKEN_PREFIX + randomSecret(32);
  return { token, hash: sha256Hex(token), prefix: token.slice(0, GATEWAY_TOKEN_PREFIX.length + 6) };
}

/** What only the running server knows about a gateway: its stream, the WireGuard stats, the version. */
export interface GatewayLiveState {
  online: boolean;
  tunnelIp: string | null;
  handshakeAt: Date | null;
  currentVersion: number;
}

/** The only shape a gateway leaves the service in: never the token hash. */
export function toPublicGateway(row: Gateway, live: GatewayLiveState, now: Date): PublicGateway {
  return {
    id: row.id,
    name: row.name,
    peer_id: row.peerId,
    tunnel_ip: live.tunnelIp,
    lan_networks: row.lanNetworks,
    token_prefix: row.tokenPrefix,
    online: live.online,
    last_seen_at: row.lastSeenAt ? row.lastSeenAt.toISOString() : null,
    handshake_age_seconds: live.handshakeAt
      ? Math.max(0, Math.round((now.getTime() - live.handshakeAt.getTime()) / 1000))
      : null,
    current_version: live.currentVersion,
    applied_version: row.appliedVersion,
    drift: row.appliedVersion === null || row.appliedVersion < live.currentVersion,
    agent_version: row.agentVersion,
    agent_protocol: row.agentProtocol,
    agent_outdated: agentOutdated({ protocol: row.agentProtocol, version: row.agentVersion }),
    listeners: row.lastStatus?.listeners ?? [],
    targets: row.lastStatus?.targets ?? [],
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/** The audit view: configuration fields only, no status noise and no secret. */
export function auditView(row: Gateway) {
  return {
    id: row.id,
    name: row.name,
    peer_id: row.peerId,
    lan_networks: row.lanNetworks,
    token_prefix: row.tokenPrefix,
  };
}
