import type { Tx } from '../../db/index.ts';

/**
 * Peers leaving the interface (disabled, expired or deleted) must drop out of every route ACL in the same transaction
 * (docs/architecture.md#access-control). The peer verbs do not know about routes; this is the seam. The routes/config
 * side registers at composition time and every peer verb calls the hooks inside its transaction, with the transaction
 * handle, so a failing hook (e.g. Caddy refusing the recompiled snapshot) rolls the peer change back too.
 *
 * - `onPeerRemoved`: a peer left the interface (disabled, expired, deleted).
 * - `onPeerChanged`: anything that can change what routes resolve to: created, removed, and updates of the
 *   address, tags, name or enabled flag (ACL groups are tags; `peer` targets use the address; name and tags are
 *   the identity headers of the snapshot's peer table).
 */
export type PeerChange = 'created' | 'updated' | 'disabled' | 'expired' | 'deleted';

export interface PeerRemovedEvent {
  peerIds: number[];
  reason: 'disabled' | 'expired' | 'deleted';
}

export interface PeerChangedEvent {
  peerIds: number[];
  change: PeerChange;
}

export type PeerRemovedHook = (tx: Tx, event: PeerRemovedEvent) => Promise<void>;
export type PeerChangedHook = (tx: Tx, event: PeerChangedEvent) => Promise<void>;

export class PeerHooks {
  private readonly removed: PeerRemovedHook[] = [];
  private readonly changed: PeerChangedHook[] = [];

  /** Registers a hook; returns a function that unregisters it. */
  onPeerRemoved(hook: PeerRemovedHook): () => void {
    return register(this.removed, hook);
  }

  onPeerChanged(hook: PeerChangedHook): () => void {
    return register(this.changed, hook);
  }

  async peerRemoved(tx: Tx, event: PeerRemovedEvent): Promise<void> {
    if (event.peerIds.length === 0) return;
    for (const hook of this.removed) await hook(tx, event);
    await this.peerChanged(tx, { peerIds: event.peerIds, change: event.reason });
  }

  async peerChanged(tx: Tx, event: PeerChangedEvent): Promise<void> {
    if (event.peerIds.length === 0) return;
    for (const hook of this.changed) await hook(tx, event);
  }
}

function register<T>(list: T[], hook: T): () => void {
  list.push(hook);
  return () => {
    const i = list.indexOf(hook);
    if (i >= 0) list.splice(i, 1);
  };
}
