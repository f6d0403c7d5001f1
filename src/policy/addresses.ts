import { isIP } from 'node:net';

/**
 * IP addresses and prefixes as policies store them: one spelling per address (IPv6 compressed and lower case,
 * IPv4-mapped IPv6 reduced to IPv4, no zone) and prefixes with their host bits cleared, the way the data
 * plane (Go's netip) reads them, so that equal rules are equal strings.
 */

/** The canonical text of an address, or undefined when `text` is not one. */
export function normalizeAddress(text: string): string | undefined {
  const parsed = parse(text.trim());
  return parsed && format(parsed);
}

/** The canonical text of a CIDR prefix (host bits cleared), or undefined when `text` is not one. */
export function normalizePrefix(text: string): string | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const parsed = parse(m[1]!);
  if (!parsed) return undefined;
  let bits = Number(m[2]);
  // An IPv4-mapped prefix (::ffff:10.0.0.0/104) is the IPv4 prefix it maps (10.0.0.0/8).
  if (parsed.mappedFrom6) bits -= 96;
  const width = parsed.family === 4 ? 32 : 128;
  if (bits < 0 || bits > width) return undefined;
  const hostBits = BigInt(width - bits);
  const masked = (parsed.value >> hostBits) << hostBits;
  return `${format({ ...parsed, value: masked })}/${bits}`;
}

interface ParsedAddress {
  family: 4 | 6;
  value: bigint;
  mappedFrom6?: boolean;
}

function parse(text: string): ParsedAddress | undefined {
  const family = isIP(text);
  if (family === 4) return { family: 4, value: ipv4Value(text) };
  if (family !== 6) return undefined;
  // URL parsing gives the compressed, lower-case spelling; a zone is not allowed there, so drop it first.
  const bare = text.replace(/%.*$/, '');
  const host = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  const value = ipv6Value(host);
  if (value >> 32n === 0xffffn) return { family: 4, value: value & 0xffffffffn, mappedFrom6: true };
  return { family: 6, value };
}

function ipv4Value(text: string): bigint {
  return text.split('.').reduce((n, octet) => (n << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6Value(host: string): bigint {
  // `host` is compressed hex from URL; an embedded IPv4 tail was already converted to hex there.
  const [head = '', tail] = host.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
  return groups.reduce((n, g) => (n << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

function format(a: ParsedAddress): string {
  if (a.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((a.value >> shift) & 0xffn)).join('.');
  }
  const groups = Array.from({ length: 8 }, (_, i) => ((a.value >> BigInt(112 - i * 16)) & 0xffffn).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}
