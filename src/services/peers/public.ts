import type { Peer } from '../../db/schema/index.ts';
import type { PublicPeer, PublicPeerStats } from '../../schemas/peers.ts';
import type { LiveStats } from '../../wireguard/stats.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** WireGuard rekeys every 2 minutes while traffic flows; 3 minutes without a handshake means gone. */
export const ONLINE_WINDOW_SECONDS = 180;

export function toPublicStats(live: LiveStats | undefined, now: Date): PublicPeerStats | null {
  if (!live) return null;
  const age = live.latestHandshake
    ? Math.max(0, Math.floor((now.getTime() - live.latestHandshake.getTime()) / 1000))
    : null;
  return {
    latest_handshake_at: iso(live.latestHandshake),
    handshake_age_seconds: age,
    rx_bytes: live.rxBytes,
    tx_bytes: live.txBytes,
    endpoint: live.endpoint,
    online: age !== null && age <= ONLINE_WINDOW_SECONDS,
    sampled_at: live.sampledAt.toISOString(),
  };
}

/** The only shape a peer leaves the service in: never the private or preshared key. */
export function toPublicPeer(row: Peer, stats: PublicPeerStats | null = null): PublicPeer {
  return {
    id: row.id,
    name: row.name,
    public_key: row.publicKey,
    has_private_key: row.privateKey !== null,
    has_preshared_key: row.presharedKey !== null,
    address: row.address,
    dns: row.dns,
    allowed_ips: row.allowedIps,
    tunnel_mode: row.tunnelMode,
    persistent_keepalive: row.persistentKeepalive,
    enabled: row.enabled,
    expires_at: iso(row.expiresAt),
    tags: row.tags,
    is_gateway: row.isGateway,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    stats,
  };
}

/** For audit entries: the public shape without the volatile stats. */
export function auditShape(row: Peer) {
  const { stats: _stats, ...rest } = toPublicPeer(row);
  return rest;
}
