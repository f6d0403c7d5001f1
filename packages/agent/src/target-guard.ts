import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import os from 'node:os';

/** Thrown when a route's target may not be dialled; the forwarder closes the client and counts it. */
export class TargetRefusedError extends Error {
  readonly code = 'ETARGETREFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'TargetRefusedError';
  }
}

// Link-local ranges carry cloud metadata services and auto-configured neighbours; a LAN forward never
// needs them, and a route pointing there is a way to read the host's credentials.
const forbidden = new BlockList();
forbidden.addSubnet('169.254.0.0', 16, 'ipv4');
forbidden.addSubnet('fe80::', 10, 'ipv6');
forbidden.addSubnet('0.0.0.0', 8, 'ipv4');
forbidden.addAddress('::', 'ipv6');
// Metadata endpoints that live outside link-local: Alibaba Cloud, AWS over IPv6, Oracle/Azure aliases.
forbidden.addAddress('100.100.100.200', 'ipv4');
forbidden.addAddress('fd00:ec2::254', 'ipv6');
forbidden.addSubnet('224.0.0.0', 4, 'ipv4');
forbidden.addSubnet('ff00::', 8, 'ipv6');

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address it carries. */
function normalise(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

export function isForbiddenAddress(address: string): boolean {
  const n = normalise(address);
  return forbidden.check(n.address, n.family);
}

function isOwnAddress(address: string): boolean {
  const n = normalise(address);
  if (loopback.check(n.address, n.family)) return true;
  for (const list of Object.values(os.networkInterfaces())) {
    for (const info of list ?? []) if (normalise(info.address).address === n.address) return true;
  }
  return false;
}

export interface TargetGuardOptions {
  /** The ports the agent listens on right now (TCP and UDP); a target there would loop into ourselves. */
  ownPorts: () => ReadonlySet<number>;
  /** Injected in tests; dns.lookup by default. */
  resolve?: (host: string) => Promise<string[]>;
}

export type TargetGuard = (host: string, port: number) => Promise<string>;

/**
 * Checks a target at dial time (not only when the config arrives: names resolve differently over time)
 * and returns the address to dial, so the checked address is the one connected to. Every address a name
 * resolves to must pass; one forbidden answer refuses the whole name, which defeats DNS rebinding tricks.
 */
export function createTargetGuard(opts: TargetGuardOptions): TargetGuard {
  const resolve =
    opts.resolve ?? (async (host: string) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address));
  return async (host, port) => {
    const addresses = isIP(host) ? [host] : await resolve(host);
    if (addresses.length === 0) throw new TargetRefusedError(`${host} does not resolve`);
    for (const address of addresses) {
      if (isForbiddenAddress(address)) {
        throw new TargetRefusedError(`target ${host} (${address}) is link-local or a metadata address`);
      }
      if (opts.ownPorts().has(port) && isOwnAddress(address)) {
        throw new TargetRefusedError(`target ${host}:${port} is one of this agent's own listeners`);
      }
    }
    return addresses[0]!;
  };
}
