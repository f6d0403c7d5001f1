import type { Policy } from '../policy/schema.ts';
import type { GatewayPresence } from './pool.ts';

/**
 * What the snapshot compiler (snapshot.ts) looks up per route — a peer, a shared policy, a gateway, the peers
 * with a tag — as maps built once per compile. Scanning the input lists per route made a compile cost
 * routes × peers (issue 20; bench/snapshot-compile.ts measures it).
 */

export interface PeerRef {
  id: number;
  /** For the identity headers of VPN clients (identity-headers.ts); absent: none are set for this peer. */
  name?: string | undefined;
  address: string;
  enabled: boolean;
  tags: string[];
}

export interface SharedPolicyRef {
  id: number;
  name: string;
  policy: Policy;
}

/** Peers by id, and the enabled peers' tunnel addresses by tag. */
export class PeerIndex {
  readonly byId = new Map<number, PeerRef>();
  private readonly byTag = new Map<string, string[]>();

  constructor(peers: readonly PeerRef[]) {
    for (const p of peers) {
      this.byId.set(p.id, p);
      if (!p.enabled) continue;
      for (const tag of p.tags) {
        const list = this.byTag.get(tag);
        if (list) list.push(p.address);
        else this.byTag.set(tag, [p.address]);
      }
    }
  }

  /** The tunnel addresses of the enabled peers with one of these ids or tags (sorted, no duplicates). */
  addresses(ids: readonly number[], tags: readonly string[]): string[] {
    const found = new Set<string>();
    for (const id of ids) {
      const p = this.byId.get(id);
      if (p?.enabled) found.add(p.address);
    }
    for (const tag of tags) for (const address of this.byTag.get(tag) ?? []) found.add(address);
    return [...found].sort();
  }
}

export interface CompileLookups {
  peers: PeerIndex;
  policies: ReadonlyMap<number, SharedPolicyRef>;
  gateways: ReadonlyMap<number, GatewayPresence>;
}

export function compileLookups(input: {
  peers: readonly PeerRef[];
  policies?: readonly SharedPolicyRef[] | undefined;
  gateways: readonly GatewayPresence[];
}): CompileLookups {
  return {
    peers: new PeerIndex(input.peers),
    policies: new Map((input.policies ?? []).map((p) => [p.id, p])),
    gateways: new Map(input.gateways.map((g) => [g.id, g])),
  };
}
