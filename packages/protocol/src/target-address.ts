import { isIPv6 } from 'node:net';
import { formatIPv4, parseIPv4, parseIPv4Cidr } from './ipv4.ts';

/**
 * The one judge of "may a route dial this address?", shared by the server (route and gateway validation)
 * and the agent (at dial time, on every address a name resolves to). SECURITY.md#what-a-route-may-dial.
 *
 * Parsing is strict: an IP is a decimal dotted quad or an IPv6 address without brackets or zone id.
 * Every other spelling that some resolver would still read as an address (0251.0376.0251.0376, 0xa9fea9fe,
 * 2852039166, 169.254.43518) is refused, because the checks below would otherwise judge a name while the
 * dialler connects to an address. IPv6 forms that carry an IPv4 address are judged as that IPv4 address:
 * IPv4-mapped (::ffff:a.b.c.d, in any hex or expanded spelling), IPv4-translated (::ffff:0:a.b.c.d),
 * IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96, 64:ff9b:1::/48) and 6to4 (2002::/16), and the Teredo
 * client address (2001::/32) — each of them can end at the embedded IPv4 host. Mapped and translated
 * addresses are stored as the dotted quad (what the kernel dials); the others keep their IPv6 form.
 */

/** Names of cloud metadata services (GCP, Azure, AWS, Alibaba, Tencent, Oracle). */
export const METADATA_HOST_NAMES: ReadonlySet<string> = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'metadata.azure.com',
  'metadata.tencentyun.com',
  'metadata.oraclecloud.com',
  'instance-data',
  'instance-data.ec2.internal',
]);

export interface JudgedIp {
  /** The address in canonical form: a dotted quad, or compressed lower-case IPv6. */
  address: string;
  family: 4 | 6;
  /** The IPv4 address judged in its place (itself for IPv4, the embedded one for the forms above). */
  ipv4?: number;
  loopback: boolean;
  /** Why no route may dial it; undefined when it may. */
  problem?: string;
}

export type JudgedHost =
  | { kind: 'ip'; host: string; ip: JudgedIp; problem?: string }
  | { kind: 'name'; host: string; loopback: boolean; problem?: string }
  | { kind: 'invalid'; host: string; problem: string };

const inV4 = (n: number, net: number, bits: number) => bits === 0 || n >>> (32 - bits) === net >>> (32 - bits);
const v4 = (text: string) => parseIPv4(text)!;

function ipv4Problem(n: number): string | undefined {
  if (inV4(n, v4('169.254.0.0'), 16)) return 'is link-local (169.254.0.0/16, where cloud metadata services live)';
  if (n === v4('100.100.100.200')) return 'is a cloud metadata endpoint';
  if (inV4(n, 0, 8)) return 'is not a routable address (0.0.0.0/8)';
  if (inV4(n, v4('224.0.0.0'), 4)) return 'is a multicast address';
  if (inV4(n, v4('240.0.0.0'), 4)) return 'is a reserved or broadcast address (240.0.0.0/4)';
  return undefined;
}

/** IPv6 text (already valid per `isIPv6`, no zone) → eight 16-bit groups. */
function ipv6Groups(text: string): number[] {
  let s = text.toLowerCase();
  const tailAt = s.lastIndexOf(':');
  const tail = s.slice(tailAt + 1);
  if (tail.includes('.')) {
    const n = parseIPv4(tail) ?? 0;
    s = `${s.slice(0, tailAt + 1)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head = '', rest] = s.split('::');
  const left = head ? head.split(':') : [];
  const right = rest === undefined ? [] : rest ? rest.split(':') : [];
  const zeros = rest === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(zeros).fill('0'), ...right].map((g) => Number.parseInt(g, 16));
}

function formatIPv6(groups: number[]): string {
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

const pair = (hi: number, lo: number) => ((hi << 16) | lo) >>> 0;

/** The IPv4 address an IPv6 address carries, and whether it is simply that address (mapped forms). */
function embeddedIPv4(g: number[]): { n: number; same: boolean; form: string } | undefined {
  const zeroTo = (k: number) => g.slice(0, k).every((x) => x === 0);
  if (zeroTo(5) && g[5] === 0xffff) return { n: pair(g[6]!, g[7]!), same: true, form: 'IPv4-mapped' };
  if (zeroTo(4) && g[4] === 0xffff && g[5] === 0) return { n: pair(g[6]!, g[7]!), same: true, form: 'IPv4-translated' };
  if (zeroTo(6) && (g[6] !== 0 || g[7]! > 1)) return { n: pair(g[6]!, g[7]!), same: false, form: 'IPv4-compatible' };
  if (g[0] === 0x64 && g[1] === 0xff9b && (g[2] === 0 || g[2] === 1))
    return { n: pair(g[6]!, g[7]!), same: false, form: 'NAT64' };
  if (g[0] === 0x2002) return { n: pair(g[1]!, g[2]!), same: false, form: '6to4' };
  if (g[0] === 0x2001 && g[1] === 0) return { n: ~pair(g[6]!, g[7]!) >>> 0, same: false, form: 'Teredo' };
  return undefined;
}

/** Judges an IP address in strict canonical-or-IPv6 syntax; undefined when `text` is not one. */
export function judgeIp(text: string): JudgedIp | undefined {
  const n4 = parseIPv4(text);
  if (n4 !== undefined) {
    return {
      address: formatIPv4(n4),
      family: 4,
      ipv4: n4,
      loopback: inV4(n4, v4('127.0.0.0'), 8),
      problem: ipv4Problem(n4),
    };
  }
  if (text.includes('%') || !isIPv6(text)) return undefined;
  const g = ipv6Groups(text);
  const embedded = embeddedIPv4(g);
  if (embedded?.same) {
    const inner = judgeIp(formatIPv4(embedded.n))!;
    return inner.problem
      ? { ...inner, problem: `is ${embedded.form} ${inner.address}, which ${inner.problem}` }
      : inner;
  }
  const address = formatIPv6(g);
  const base: JudgedIp = { address, family: 6, loopback: address === '::1' };
  if (address === '::') return { ...base, problem: 'is the unspecified address' };
  if ((g[0]! & 0xffc0) === 0xfe80) return { ...base, problem: 'is link-local (fe80::/10)' };
  if ((g[0]! & 0xffc0) === 0xfec0) return { ...base, problem: 'is site-local (fec0::/10, deprecated)' };
  if (g[0]! >>> 8 === 0xff) return { ...base, problem: 'is a multicast address' };
  if (address === 'fd00:ec2::254') return { ...base, problem: 'is a cloud metadata endpoint' };
  if (embedded) {
    const inner = formatIPv4(embedded.n);
    const why = ipv4Problem(embedded.n) ?? (inV4(embedded.n, v4('127.0.0.0'), 8) ? 'is loopback' : undefined);
    return {
      ...base,
      ipv4: embedded.n,
      ...(why ? { problem: `carries ${inner} (${embedded.form}), which ${why}` } : {}),
    };
  }
  return base;
}

/** inet_aton's reading of a numeric host (what getaddrinfo and curl still accept), for the error message. */
function legacyIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length > 4) return undefined;
  const nums = parts.map((p) =>
    /^0x[0-9a-f]*$/i.test(p)
      ? Number.parseInt(p.slice(2) || '0', 16)
      : /^0[0-7]*$/.test(p)
        ? Number.parseInt(p, 8)
        : /^\d+$/.test(p)
          ? Number(p)
          : Number.NaN,
  );
  if (nums.some((x) => !Number.isFinite(x))) return undefined;
  const last = nums.pop()!;
  if (nums.some((x) => x > 255) || last >= 2 ** (8 * (4 - nums.length))) return undefined;
  return (nums.reduce((acc, x, i) => acc + x * 2 ** (8 * (3 - i)), 0) + last) >>> 0;
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Normalises and judges a host a route may dial (`target_host`, an upstream, a gateway's `target_lan_host`).
 * `host` is the form to store. Loopback is reported, not refused: which loopback ports are off limits
 * depends on who dials (the server's control plane and Caddy admin; the agent refuses its own loopback).
 */
export function judgeTargetHost(input: string): JudgedHost {
  const raw = input.trim();
  if (raw === '') return { kind: 'invalid', host: raw, problem: 'must not be empty' };
  if (/[[\]]/.test(raw))
    return { kind: 'invalid', host: raw, problem: `"${raw}": write an IPv6 address without brackets` };
  if (raw.includes('%'))
    return { kind: 'invalid', host: raw, problem: `"${raw}": zone ids (%eth0) are not allowed in a target` };
  if (raw.includes(':')) {
    const ip = judgeIp(raw);
    if (!ip) return { kind: 'invalid', host: raw, problem: `"${raw}" is not a valid IPv6 address` };
    return { kind: 'ip', host: ip.address, ip, ...(ip.problem ? { problem: `${raw} ${ip.problem}` } : {}) };
  }
  const name = raw.toLowerCase().replace(/\.$/, '');
  const ip = judgeIp(name);
  if (ip) return { kind: 'ip', host: ip.address, ip, ...(ip.problem ? { problem: `${raw} ${ip.problem}` } : {}) };
  const labels = name.split('.');
  // A numeric last label makes resolvers read the whole name as an IPv4 address (WHATWG URL does the same).
  if (/^(0x[0-9a-f]*|\d+)$/.test(labels.at(-1) ?? '')) {
    const n = legacyIPv4(name);
    const meaning = n === undefined ? '' : ` (it means ${formatIPv4(n)})`;
    return {
      kind: 'invalid',
      host: raw,
      problem: `"${raw}" is not an IPv4 address in standard form${meaning}; write four decimal numbers like 192.168.1.10`,
    };
  }
  if (name.length > 253 || !labels.every((l) => LABEL.test(l))) {
    return { kind: 'invalid', host: raw, problem: `"${raw}" is neither an IP address nor a host name` };
  }
  if (METADATA_HOST_NAMES.has(name))
    return { kind: 'name', host: name, loopback: false, problem: `"${raw}" is a cloud metadata endpoint` };
  return { kind: 'name', host: name, loopback: name === 'localhost' || name.endsWith('.localhost') };
}

/**
 * Whether an IP (any spelling `judgeIp` accepts) lies in one of the IPv4 networks (`a.b.c.d/n`), as a gateway's
 * `lan_networks` lists them. IPv6 and names are never inside: the list is IPv4 only.
 */
export function inLanNetworks(address: string, lanNetworks: readonly string[]): boolean {
  const ip = judgeIp(address);
  if (ip?.family !== 4 || ip.ipv4 === undefined) return false;
  const n = ip.ipv4;
  return lanNetworks.some((text) => {
    const net = parseIPv4Cidr(text);
    return net !== undefined && (n & net.mask) >>> 0 === net.network;
  });
}
