import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import os from 'node:os';
import { inLanNetworks, judgeIp } from '@gatehouse/protocol';

/** Thrown when a route's target may not be dialled; the forwarder closes the client and counts it. */
export class TargetRefusedError extends Error {
  readonly code = 'ETARGETREFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'TargetRefusedError';
  }
}

/**
 * Link-local, metadata, unspecified, multicast and reserved addresses in every spelling (IPv4-in-IPv6 forms are
 * judged as the IPv4 address they carry): the judge the server uses too (packages/protocol/src/target-address.ts).
 */
export function isForbiddenAddress(address: string): boolean {
  const ip = judgeIp(address);
  return !ip || ip.problem !== undefined;
}

/** Whether the address is this host's: loopback (all of 127/8 and ::1) or an address of one of its interfaces. */
export function isOwnAddress(address: string): boolean {
  const ip = judgeIp(address);
  if (!ip) return false;
  if (ip.loopback) return true;
  for (const list of Object.values(os.networkInterfaces())) {
    for (const info of list ?? []) if (judgeIp(info.address)?.address === ip.address) return true;
  }
  return false;
}

/** What the applied config and the agent's own settings allow (read at every dial: configs change). */
export interface TargetPolicy {
  /** The gateway's LAN networks from the server (protocol 2); undefined from an older server: not checked. */
  lanNetworks?: readonly string[] | undefined;
  /** The agent's own setting `allow_loopback_targets`: a service on the gateway host itself. Never from the server. */
  allowLoopback?: boolean | undefined;
}

export interface TargetGuardOptions {
  /** The ports the agent listens on right now (TCP and UDP); a target there would loop into ourselves. */
  ownPorts: () => ReadonlySet<number>;
  policy?: () => TargetPolicy;
  /** Injected in tests; dns.lookup by default. */
  resolve?: (host: string) => Promise<string[]>;
}

export type TargetGuard = (host: string, port: number) => Promise<string>;

/**
 * Checks a target at dial time (not only when the config arrives: names resolve differently over time)
 * and returns the address to dial, so the checked address is the one connected to. Every address a name
 * resolves to must pass; one refused answer refuses the whole name, which defeats DNS rebinding tricks.
 * Refused: forbidden addresses, this host's loopback (unless the agent's own setting allows it), anything
 * outside the gateway's LAN networks, and our own listeners.
 */
export function createTargetGuard(opts: TargetGuardOptions): TargetGuard {
  const resolve =
    opts.resolve ?? (async (host: string) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address));
  return async (host, port) => {
    const policy = opts.policy?.() ?? {};
    const addresses = isIP(host) ? [host] : await resolve(host);
    if (addresses.length === 0) throw new TargetRefusedError(`${host} does not resolve`);
    for (const address of addresses) {
      const ip = judgeIp(address);
      if (!ip || ip.problem) {
        throw new TargetRefusedError(`target ${host} (${address}) ${ip?.problem ?? 'is not an IP address'}`);
      }
      if (ip.loopback && !policy.allowLoopback) {
        throw new TargetRefusedError(`target ${host} (${address}) is this gateway host's own loopback`);
      }
      if (
        policy.lanNetworks &&
        !(ip.loopback && policy.allowLoopback) &&
        !inLanNetworks(ip.address, policy.lanNetworks)
      ) {
        throw new TargetRefusedError(
          `target ${host} (${address}) is outside the gateway's lan_networks (${policy.lanNetworks.join(', ') || 'none'})`,
        );
      }
      if (opts.ownPorts().has(port) && isOwnAddress(address)) {
        throw new TargetRefusedError(`target ${host}:${port} is one of this agent's own listeners`);
      }
    }
    return judgeIp(addresses[0]!)!.address;
  };
}
