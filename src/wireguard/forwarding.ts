import type { Logger } from '../logger.ts';
import { findOnPath } from './availability.ts';
import { type Runner, runCommand } from './exec.ts';

/**
 * Internet access for full-tunnel peers: their packets arrive on the WireGuard interface addressed to anywhere,
 * so the server must forward them (net.ipv4.ip_forward) and masquerade them behind its own address. Gatehouse
 * touches only its own nftables table, `inet gatehouse`, replaced as a whole (one `nft -f` transaction), and
 * net.ipv4.ip_forward only while a full-tunnel peer exists and only when it was off (restored on stop).
 */
export const NFT_TABLE = 'gatehouse';
export const NFTABLES_INSTALL_HINT = 'apt-get install -y --no-install-recommends nftables';
const IP_FORWARD = 'net.ipv4.ip_forward';

/**
 * The ruleset for `nft -f`. It opens by declaring and deleting our table (declaring makes the delete succeed
 * when the table is absent; `destroy table` needs nft 1.0.8, Debian 12 has 1.0.6), so applying it twice
 * leaves the same state. With no sources the table is only removed.
 */
export function renderForwardingRuleset({ iface, sources }: { iface: string; sources: readonly string[] }): string {
  const lines = [`table inet ${NFT_TABLE} {}`, `delete table inet ${NFT_TABLE}`];
  if (sources.length === 0) return `${lines.join('\n')}\n`;
  const wg = JSON.stringify(iface);
  lines.push(
    `table inet ${NFT_TABLE} {`,
    '  set full_tunnel {',
    '    type ipv4_addr',
    `    elements = { ${sources.join(', ')} }`,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    // Only full-tunnel peers leave through this server; split-tunnel peers never use it as an exit.
    `    iifname ${wg} oifname != ${wg} ip saddr != @full_tunnel drop`,
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    iifname ${wg} oifname != ${wg} ip saddr @full_tunnel masquerade`,
    '  }',
    '}',
  );
  return `${lines.join('\n')}\n`;
}

export interface ForwardingState {
  /** `off`: no full-tunnel peer; `on`: forwarding and NAT in place; `error`: wanted but not possible. */
  state: 'off' | 'on' | 'error';
  detail: string;
  full_tunnel_peers: number;
}

export interface ForwardingOptions {
  iface: string;
  logger: Logger;
  /** `ip netns exec NS` in tests: the ruleset and the sysctl then live in the test's namespace. */
  runner?: Runner | undefined;
  /** Injected in tests; by default: are we root and is `nft` on PATH. */
  preflight?: () => Promise<string | undefined>;
}

/** Why forwarding cannot be set up here, or undefined when it can. */
export async function forwardingPreflight(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root (CAP_NET_ADMIN) to set up forwarding and NAT';
  if (!(await findOnPath('nft'))) return `the nft command is missing; install it with: ${NFTABLES_INSTALL_HINT}`;
  return undefined;
}

/** Keeps the forwarding table in line with the full-tunnel peers; never throws, it reports through status(). */
export class Forwarding {
  private current: ForwardingState = { state: 'off', detail: 'no full-tunnel peers', full_tunnel_peers: 0 };
  private applied: string | undefined;
  private tableOurs = false;
  /** The value of net.ipv4.ip_forward before we turned it on; undefined when we did not change it. */
  private ipForwardBefore: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly runner: Runner;

  constructor(private readonly opts: ForwardingOptions) {
    this.runner = opts.runner ?? runCommand;
  }

  status(): ForwardingState {
    return { ...this.current };
  }

  /** Applies the table for these full-tunnel peer addresses (sorted, deduplicated); calls run in order. */
  reconcile(addresses: readonly string[]): Promise<void> {
    const sources = [...new Set(addresses)].sort();
    const next = this.queue.then(() => this.apply(sources));
    this.queue = next.catch(() => {});
    return next;
  }

  /** Removes our table and restores net.ipv4.ip_forward if we changed it. */
  stop(): Promise<void> {
    const next = this.queue.then(() => this.apply([]));
    this.queue = next.catch(() => {});
    return next;
  }

  private run(command: string, args: string[], stdin?: string) {
    return this.runner(command, args, { stdin, timeoutMs: 10_000 });
  }

  private async apply(sources: string[]): Promise<void> {
    const key = sources.join(',');
    if (key === this.applied && this.current.state !== 'error') return;
    const { logger } = this.opts;
    if (sources.length === 0) {
      if (this.tableOurs) {
        await this.run('nft', ['-f', '-'], renderForwardingRuleset({ iface: this.opts.iface, sources }))
          .then(() => {
            this.tableOurs = false;
          })
          .catch((err: Error) => logger.warn({ err: err.message }, `could not remove nftables table ${NFT_TABLE}`));
      }
      await this.restoreIpForward();
      this.applied = key;
      this.current = { state: 'off', detail: 'no full-tunnel peers', full_tunnel_peers: 0 };
      return;
    }
    const problem = await (this.opts.preflight ?? forwardingPreflight)();
    if (problem) return this.fail(sources.length, problem);
    try {
      await this.run('nft', ['-f', '-'], renderForwardingRuleset({ iface: this.opts.iface, sources }));
      this.tableOurs = true;
      await this.enableIpForward(sources.length);
    } catch (err) {
      return this.fail(sources.length, (err as Error).message);
    }
    this.applied = key;
    const detail = `forwarding and masquerading ${sources.length} full-tunnel peer(s) (nftables table inet ${NFT_TABLE})`;
    if (this.current.state !== 'on') logger.info({ peers: sources.length }, detail);
    this.current = { state: 'on', detail, full_tunnel_peers: sources.length };
  }

  private fail(count: number, problem: string) {
    const detail = `full-tunnel peers have no internet through this server: ${problem}`;
    if (this.current.detail !== detail) this.opts.logger.error({ peers: count }, detail);
    this.current = { state: 'error', detail, full_tunnel_peers: count };
  }

  private async enableIpForward(count: number) {
    const value = (await this.run('sysctl', ['-n', IP_FORWARD])).stdout.trim();
    if (value === '1') return;
    await this.run('sysctl', ['-w', `${IP_FORWARD}=1`]);
    this.ipForwardBefore ??= value;
    this.opts.logger.warn(
      { peers: count, before: value },
      `set ${IP_FORWARD}=1 for full-tunnel peers (it was ${value}); it is restored when the last full-tunnel peer goes or the server stops`,
    );
  }

  private async restoreIpForward() {
    if (this.ipForwardBefore === undefined) return;
    const before = this.ipForwardBefore;
    try {
      await this.run('sysctl', ['-w', `${IP_FORWARD}=${before}`]);
      this.ipForwardBefore = undefined;
      this.opts.logger.info(`restored ${IP_FORWARD}=${before}`);
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message }, `could not restore ${IP_FORWARD}=${before}`);
    }
  }
}

/** What `gatehouse doctor` reports about forwarding on this machine (read only: changes nothing). */
export interface ForwardingCheck {
  /** Why forwarding cannot be set up here (not root, no nft), else undefined. */
  problem: string | undefined;
  /** net.ipv4.ip_forward is 1; undefined when it could not be read. */
  ipForward: boolean | undefined;
  /** Our table is loaded; undefined when nft could not be asked. */
  table: boolean | undefined;
}

export async function forwardingStatus(opts: { runner?: Runner } = {}): Promise<ForwardingCheck> {
  const run = opts.runner ?? runCommand;
  const problem = await forwardingPreflight();
  const ipForward = await run('sysctl', ['-n', IP_FORWARD]).then(
    (r) => r.stdout.trim() === '1',
    () => undefined,
  );
  const table = problem
    ? undefined
    : await run('nft', ['list', 'table', 'inet', NFT_TABLE]).then(
        () => true,
        () => false,
      );
  return { problem, ipForward, table };
}
