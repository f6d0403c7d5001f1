import type { PublicPeer } from '../../../schemas/peers.ts';
import { Badge } from '../../shared/layout.tsx';

/** Disabled, expired, online or offline. */
export function PeerStatus({ p }: { p: PublicPeer }) {
  if (!p.enabled) return <Badge tone="muted">disabled</Badge>;
  if (p.expires_at && Date.parse(p.expires_at) <= Date.now()) return <Badge tone="warn">expired</Badge>;
  return p.stats?.online ? <Badge tone="ok">online</Badge> : <Badge tone="muted">offline</Badge>;
}
