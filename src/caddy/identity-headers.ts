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
 * under these names before anything else runs, so an upstream can trust them.
 */
export const IDENTITY_HEADERS = ['Remote-User', 'Remote-Email', 'Remote-Groups', 'Remote-Name'] as const;

const PEER_NAME = '{gatehouse_peer_name}';
const PEER_TAGS = '{gatehouse_peer_tags}';

/**
 * The identity handlers at the head of every HTTP route: delete the client's identity headers, then, for a
 * client that is a VPN peer (its address, `{http.vars.client_ip}`, is an enabled peer's tunnel address), set
 * `Remote-User` and `Remote-Name` to the peer's name and `Remote-Groups` to its tags (comma-separated). A
 * route login replaces them with the logged-in user's (src/caddy/route-auth.ts deletes them again before its
 * verify and copies the verify's answer).
 */
export function identityHandlers(peers: PeerIdentity[]): Record<string, unknown>[] {
  const strip = { handler: 'headers', request: { delete: [...IDENTITY_HEADERS] } };
  const named = peers.filter((p): p is PeerIdentity & { name: string } => p.enabled && !!p.name);
  if (named.length === 0) return [strip];
  return [
    strip,
    {
      handler: 'map',
      source: '{http.vars.client_ip}',
      destinations: [PEER_NAME, PEER_TAGS],
      // Peer names are NameSchema text and tags [a-z0-9_-]: no `{` that Caddy could expand.
      mappings: named
        .sort((a, b) => a.id - b.id)
        .map((p) => ({ input: p.address, outputs: [p.name, [...p.tags].sort().join(',')] })),
      defaults: ['', ''],
    },
    {
      handler: 'subroute',
      routes: [
        {
          match: [{ not: [{ vars: { [PEER_NAME]: [''] } }] }],
          handle: [
            {
              handler: 'headers',
              request: {
                set: { 'Remote-User': [PEER_NAME], 'Remote-Name': [PEER_NAME], 'Remote-Groups': [PEER_TAGS] },
              },
            },
          ],
        },
      ],
    },
  ];
}
