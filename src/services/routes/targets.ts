import { isIP } from 'node:net';

/** Addresses no route may point at: link-local (incl. cloud metadata) and "any". */
const FORBIDDEN_V4 = [
  { net: [169, 254], bits: 16, why: 'is link-local (169.254.0.0/16, where cloud metadata services live)' },
  { net: [0], bits: 8, why: 'is not a routable address' },
  { net: [224], bits: 4, why: 'is a multicast address' },
];
const METADATA_HOSTS = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.azure.com',
  'instance-data',
  '100.100.100.200',
]);

function v4InNet(ip: string, net: number[], bits: number): boolean {
  const parts = ip.split('.').map(Number);
  let remaining = bits;
  for (let i = 0; i < 4 && remaining > 0; i++) {
    const take = Math.min(8, remaining);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((parts[i] ?? 0) & mask) !== ((net[i] ?? 0) & mask)) return false;
    remaining -= take;
  }
  return true;
}

export function isLoopbackOrAny(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '::' || h === '0.0.0.0' || (isIP(h) === 4 && h.startsWith('127.'));
}

/**
 * Why `host` may not be a target, or undefined when it may. Hostnames are checked by name only (they are
 * resolved where the connection is made; the gateway checks again at dial time).
 */
export function targetHostProblem(host: string): string | undefined {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (METADATA_HOSTS.has(h)) return `"${host}" is a cloud metadata endpoint`;
  const family = isIP(h);
  if (family === 4) {
    for (const f of FORBIDDEN_V4) if (v4InNet(h, f.net, f.bits)) return `${host} ${f.why}`;
    return undefined;
  }
  if (family === 6) {
    if (/^fe[89ab]/.test(h)) return `${host} is link-local (fe80::/10)`;
    if (h === '::' || h === 'fd00:ec2::254') return `${host} is not an allowed target`;
    if (/^ff/.test(h)) return `${host} is a multicast address`;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped ? targetHostProblem(mapped[1]!) : undefined;
  }
  if (!/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(h)) {
    return `"${host}" is neither an IP address nor a host name`;
  }
  return undefined;
}
