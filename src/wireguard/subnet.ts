import { isIPv4 } from 'node:net';

/** IPv4 arithmetic for the tunnel subnet (the tunnel is IPv4-only, see GATEHOUSE_WG_ADDRESS). */
export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** `a.b.c.d/n` → normalised network and prefix, or undefined when it is not an IPv4 CIDR. */
export function parseIPv4Cidr(value: string): { network: string; prefix: number } | undefined {
  const [ip, bits, extra] = value.split('/');
  const prefix = Number(bits);
  if (extra !== undefined || !ip || !isIPv4(ip) || bits === undefined || !/^\d{1,2}$/.test(bits) || prefix > 32) {
    return undefined;
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { network: intToIp((ipToInt(ip) & mask) >>> 0), prefix };
}

export class Subnet {
  readonly network: number;
  readonly broadcast: number;
  readonly server: number;

  constructor(
    serverAddress: string,
    readonly prefix: number,
  ) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    this.server = ipToInt(serverAddress);
    this.network = (this.server & mask) >>> 0;
    this.broadcast = (this.network | (~mask >>> 0)) >>> 0;
  }

  /** e.g. `10.8.0.0/24`. */
  get cidr(): string {
    return `${intToIp(this.network)}/${this.prefix}`;
  }

  /** How many addresses peers can have (all hosts but the server's). */
  get capacity(): number {
    return this.broadcast - this.network - 2;
  }

  contains(ip: string): boolean {
    if (!isIPv4(ip)) return false;
    const n = ipToInt(ip);
    return n >= this.network && n <= this.broadcast;
  }

  /** Why `ip` cannot be a peer's address, or undefined when it can. */
  problemWith(ip: string): string | undefined {
    if (!isIPv4(ip)) return 'must be an IPv4 address';
    if (!this.contains(ip)) return `must be inside the VPN subnet ${this.cidr}`;
    const n = ipToInt(ip);
    if (n === this.network) return `is the network address of ${this.cidr}`;
    if (n === this.broadcast) return `is the broadcast address of ${this.cidr}`;
    if (n === this.server) return 'is the server’s own tunnel address';
    return undefined;
  }

  /**
   * The lowest address not in `used` (and not the network, broadcast or server address), or undefined when
   * the subnet is full. Lowest-first keeps addresses short and predictable for people.
   */
  firstFree(used: Iterable<string>): string | undefined {
    const taken = new Set<number>();
    for (const ip of used) if (isIPv4(ip)) taken.add(ipToInt(ip));
    for (let n = this.network + 1; n < this.broadcast; n++) {
      if (n !== this.server && !taken.has(n)) return intToIp(n);
    }
    return undefined;
  }
}
