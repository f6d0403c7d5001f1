import { isIPv4 } from 'node:net';

/**
 * IPv4 addresses as unsigned 32-bit integers and CIDR networks over them: the one copy shared by the
 * server (tunnel subnet, WoL broadcast per gateway LAN) and the agent (WoL broadcast per interface).
 * Parsers return undefined for anything that is not exactly a dotted quad or `a.b.c.d/n` (n 0–32), so
 * callers never see NaN or a silently wrapped value.
 */

/** A parsed `a.b.c.d/n`: the address as written, and the network it names. All numbers are unsigned. */
export interface IPv4Cidr {
  address: number;
  prefix: number;
  mask: number;
  network: number;
  broadcast: number;
}

/** `a.b.c.d` → unsigned integer, or undefined when it is not a dotted-quad IPv4 address. */
export function parseIPv4(text: string): number | undefined {
  if (typeof text !== 'string' || !isIPv4(text)) return undefined;
  return text.split('.').reduce((n, octet) => ((n << 8) | Number(octet)) >>> 0, 0);
}

/** Unsigned integer → `a.b.c.d`; throws for a value that is not an integer in 0 … 2³²−1. */
export function formatIPv4(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`${n} is not an IPv4 address value`);
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The netmask of a prefix length, e.g. 24 → 0xffffff00; throws outside 0–32. */
export function ipv4Mask(prefix: number): number {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new RangeError(`${prefix} is not an IPv4 prefix`);
  // A shift by 32 is a shift by 0 in JavaScript, hence the special case.
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** The network of `address/prefix`; throws for a bad address value or prefix. */
export function ipv4Cidr(address: number, prefix: number): IPv4Cidr {
  formatIPv4(address);
  const mask = ipv4Mask(prefix);
  const network = (address & mask) >>> 0;
  return { address, prefix, mask, network, broadcast: (network | ~mask) >>> 0 };
}

/** `a.b.c.d/n` → the network, or undefined when it is not an IPv4 CIDR (the prefix is 1–2 decimal digits). */
export function parseIPv4Cidr(text: string): IPv4Cidr | undefined {
  if (typeof text !== 'string') return undefined;
  const [ip, bits, extra] = text.split('/');
  if (extra !== undefined || bits === undefined || !/^\d{1,2}$/.test(bits) || Number(bits) > 32) return undefined;
  const address = parseIPv4(ip ?? '');
  return address === undefined ? undefined : ipv4Cidr(address, Number(bits));
}

/** `network/prefix` in canonical form, e.g. 10.8.0.0/24. */
export function formatIPv4Cidr(cidr: IPv4Cidr): string {
  return `${formatIPv4(cidr.network)}/${cidr.prefix}`;
}

/** Whether the address (integer or text) lies in the network; false for anything that is not IPv4. */
export function ipv4CidrContains(cidr: IPv4Cidr, ip: number | string): boolean {
  const n = typeof ip === 'string' ? parseIPv4(ip) : ip;
  if (n === undefined || !Number.isInteger(n) || n < 0 || n > 0xffffffff) return false;
  return (n & cidr.mask) >>> 0 === cidr.network;
}
