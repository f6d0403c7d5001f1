import type { PeerNetwork } from '../../wireguard/runtime.ts';
import type { PeerHooks } from './hooks.ts';

/** What the peer verbs need beyond the service context: the WireGuard side and the removal hooks. */
export interface PeerDeps {
  network: PeerNetwork;
  hooks: PeerHooks;
}
