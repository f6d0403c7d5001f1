import { formatIPv4, ipv4Cidr, parseIPv4 } from '@gatehouse/protocol';

/** The tunnel subnet (the tunnel is IPv4-only, see GATEHOUSE_WG_ADDRESS); arithmetic from @gatehouse/protocol. */
export class Subnet {
  readonly network: number;
  readonly broadcast: number;
  readonly server: number;

  constructor(
    serverAddress: string,
    readonly prefix: number,
  ) {
    const server = parseIPv4(serverAddress);
    if (server === undefined) throw new Error(`"${serverAddress}" is not an IPv4 address`);
    const cidr = ipv4Cidr(server, prefix);
    this.server = server;
    this.network = cidr.network;
    this.broadcast = cidr.broadcast;
  }

  /** e.g. `10.8.0.0/24`. */
  get cidr(): string {
    return `${formatIPv4(this.network)}/${this.prefix}`;
  }

  /** How many addresses peers can have (all hosts but the server's). */
  get capacity(): number {
    return this.broadcast - this.network - 2;
  }

  contains(ip: string): boolean {
    const n = parseIPv4(ip);
    return n !== undefined && n >= this.network && n <= this.broadcast;
  }

  /** Why `ip` cannot be a peer's address, or undefined when it can. */
  problemWith(ip: string): string | undefined {
    const n = parseIPv4(ip);
    if (n === undefined) return 'must be an IPv4 address';
    if (!this.contains(ip)) return `must be inside the VPN subnet ${this.cidr}`;
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
    for (const ip of used) {
      const n = parseIPv4(ip);
      if (n !== undefined) taken.add(n);
    }
    for (let n = this.network + 1; n < this.broadcast; n++) {
      if (n !== this.server && !taken.has(n)) return formatIPv4(n);
    }
    return undefined;
  }
}
