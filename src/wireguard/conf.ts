/**
 * Pure renderers for the two WireGuard config files Gatehouse writes: the server's (fed to `wg syncconf`,
 * so only keys `wg` itself understands) and a client's wg-quick file (Address/DNS are wg-quick extensions).
 * Golden files in test/unit/golden/ pin the exact output.
 */

/** What the server interface needs to know about one peer. */
export interface ServerPeerSpec {
  publicKey: string;
  presharedKey: string | null;
  /** The peer's tunnel address; the server routes exactly this /32 to it. */
  address: string;
  /** Its traffic to anywhere is forwarded and masqueraded by the server (src/wireguard/forwarding.ts). */
  fullTunnel?: boolean | undefined;
}

export function renderServerConf(opts: { privateKey: string; listenPort: number; peers: ServerPeerSpec[] }): string {
  const lines = ['[Interface]', `PrivateKey = ${opts.privateKey}`, `ListenPort = ${opts.listenPort}`];
  for (const peer of opts.peers) {
    lines.push('', '[Peer]', `PublicKey = ${peer.publicKey}`);
    if (peer.presharedKey) lines.push(`PresharedKey = ${peer.presharedKey}`);
    lines.push(`AllowedIPs = ${peer.address}/32`);
  }
  return `${lines.join('\n')}\n`;
}

export interface ClientConfSpec {
  name: string;
  /** null when the user brought their own key pair: the file then says where the key goes. */
  privateKey: string | null;
  address: string;
  dns: string[];
  presharedKey: string | null;
  allowedIps: string[];
  persistentKeepalive: number | null;
  serverPublicKey: string;
  /** host:port of the server, as clients dial it. */
  endpoint: string;
}

export const PRIVATE_KEY_PLACEHOLDER = '<your private key: this peer was created with its own public key>';

/** Comments in a wg-quick file must stay on one line; names are validated, this is belt and braces. */
const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');

export function renderClientConf(spec: ClientConfSpec): string {
  const lines = [
    `# Gatehouse peer "${oneLine(spec.name)}"`,
    '[Interface]',
    `PrivateKey = ${spec.privateKey ?? PRIVATE_KEY_PLACEHOLDER}`,
    `Address = ${spec.address}/32`,
  ];
  if (spec.dns.length > 0) lines.push(`DNS = ${spec.dns.join(', ')}`);
  lines.push('', '[Peer]', `PublicKey = ${spec.serverPublicKey}`);
  if (spec.presharedKey) lines.push(`PresharedKey = ${spec.presharedKey}`);
  lines.push(`AllowedIPs = ${spec.allowedIps.join(', ')}`, `Endpoint = ${spec.endpoint}`);
  if (spec.persistentKeepalive) lines.push(`PersistentKeepalive = ${spec.persistentKeepalive}`);
  return `${lines.join('\n')}\n`;
}

/** host:port for the Endpoint line; IPv6 literals get brackets, a host that already has a port keeps it. */
export function formatEndpoint(host: string, port: number): string {
  if (/^\[.+\]:\d+$/.test(host) || /^[^:]+:\d+$/.test(host)) return host;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
