/** The peer fields the identity headers need (snapshot.ts `PeerRef`). */
interface PeerIdentity {
  id: number;
  name?: string | undefined;
  address: string;
  enabled: boolean;
  tags: string[];
}

/**
 * Who the client is, for the upstream: set by Gatehouse only. Every HTTP route deletes what the client sent
 * under these names before anything else runs (caddy-module/identity.go), so an upstream can trust them.
 */
export const IDENTITY_HEADERS = ['Remote-User', 'Remote-Email', 'Remote-Groups', 'Remote-Name'] as const;

/** One entry of the snapshot's peer table (docs/snapshot.md "Peer identity"). */
export interface SnapshotPeer {
  address: string;
  name: string;
  tags: string[];
}

/**
 * The handler at the head of every HTTP route (caddy-module/identity.go, `gatehouse_identity`): it deletes the
 * client's identity headers, then, for a client that is a VPN peer (Caddy's client_ip is an entry's address
 * in the current snapshot's peer table), sets `Remote-User` and `Remote-Name` to the peer's name and
 * `Remote-Groups` to its tags (comma-separated). The same bytes on every route and in every snapshot: a peer
 * change touches the table only, so no route is provisioned again. A route login replaces the headers with the
 * logged-in user's (src/caddy/route-auth.ts deletes them again before its verify and copies the verify's answer).
 */
export const IDENTITY_HANDLER: Readonly<Record<string, unknown>> = Object.freeze({ handler: 'gatehouse_identity' });

/**
 * The snapshot's peer table: every enabled peer with a name, by id (so a rename moves no entry), tags sorted.
 * Peer names are NameSchema text and tags [a-z0-9_.-]; the module checks both again (caddy-module/snapshot/peers.go).
 */
export function peerTable(peers: readonly PeerIdentity[]): SnapshotPeer[] {
  return peers
    .filter((p): p is PeerIdentity & { name: string } => p.enabled && !!p.name)
    .sort((a, b) => a.id - b.id)
    .map((p) => ({ address: p.address, name: p.name, tags: [...p.tags].sort() }));
}
