/**
 * Parses `wg show <if> dump`. The first line describes the interface (private key, public key, listen
 * port, fwmark); each further line a peer (public key, preshared key, endpoint, allowed IPs, latest
 * handshake in epoch seconds, rx bytes, tx bytes, persistent keepalive), tab-separated. The interface's private
 * key and the peers' preshared keys are dropped here so they go no further.
 */
export interface InterfaceDump {
  publicKey: string | null;
  listenPort: number | null;
  peers: PeerDump[];
}

export interface PeerDump {
  publicKey: string;
  endpoint: string | null;
  allowedIps: string[];
  /** null when the peer never completed a handshake. */
  latestHandshake: Date | null;
  rxBytes: number;
  txBytes: number;
  persistentKeepalive: number | null;
}

export class DumpParseError extends Error {
  constructor(line: number, message: string) {
    super(`wg show dump, line ${line}: ${message}`);
    this.name = 'DumpParseError';
  }
}

const none = (v: string) => (v === '(none)' || v === '' ? null : v);

function count(value: string | undefined, line: number, what: string): number {
  if (value === undefined || !/^\d+$/.test(value)) throw new DumpParseError(line, `${what} is not a number`);
  return Number(value);
}

export function parseDump(text: string): InterfaceDump {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new DumpParseError(1, 'empty output');
  const head = lines[0]!.split('\t');
  if (head.length !== 4) throw new DumpParseError(1, `expected 4 interface fields, got ${head.length}`);
  const port = head[2]!;
  const result: InterfaceDump = {
    publicKey: none(head[1]!),
    listenPort: port === '0' || port === '(none)' ? null : count(port, 1, 'listen port'),
    peers: [],
  };
  lines.slice(1).forEach((raw, i) => {
    const lineNo = i + 2;
    const f = raw.split('\t');
    if (f.length !== 8) throw new DumpParseError(lineNo, `expected 8 peer fields, got ${f.length}`);
    const handshake = count(f[4], lineNo, 'latest handshake');
    const keepalive = f[7]!;
    result.peers.push({
      publicKey: f[0]!,
      endpoint: none(f[2]!),
      allowedIps: none(f[3]!) === null ? [] : f[3]!.split(','),
      latestHandshake: handshake === 0 ? null : new Date(handshake * 1000),
      rxBytes: count(f[5], lineNo, 'rx bytes'),
      txBytes: count(f[6], lineNo, 'tx bytes'),
      persistentKeepalive: keepalive === 'off' ? null : count(keepalive, lineNo, 'persistent keepalive'),
    });
  });
  return result;
}
