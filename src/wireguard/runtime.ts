import { secretBoxFor } from '../auth/secret-box.ts';
import type { Config } from '../config/index.ts';
import type { Logger } from '../logger.ts';
import { detectWireGuard, type WireGuardAvailability } from './availability.ts';
import type { ServerPeerSpec } from './conf.ts';
import { type Runner, runCommand } from './exec.ts';
import { Forwarding, type ForwardingState } from './forwarding.ts';
import { WireGuardInterface } from './interface.ts';
import { loadOrCreateServerKey } from './server-key.ts';
import { type LiveStats, StatsHistory, type StatsPoint, StatsPoller } from './stats.ts';
import { kernelWireGuardVersion, wireGuardGoVersion } from './userspace.ts';

export interface WireGuardStatus {
  /** `up`: interface configured; `unavailable`: cannot run here; `error`: could run but bring-up failed. */
  state: 'up' | 'unavailable' | 'error' | 'disabled' | 'stopped' | 'starting';
  interface: string;
  implementation?: string | undefined;
  /** The running implementation's version (kernel module or wireguard-go), when known. */
  version?: string | undefined;
  /** For wireguard-go: the binary started, and whether it is ours (`bundled`, bin/) or one on PATH (`system`). */
  binary?: { path: string; source: 'bundled' | 'system' } | undefined;
  detail?: string | undefined;
  public_key?: string | undefined;
  listen_port?: number | undefined;
  /** Forwarding and NAT for full-tunnel peers. */
  forwarding?: ForwardingState | undefined;
}

/**
 * What the peer services need from WireGuard. When the interface is not up, `apply` does nothing and stats
 * are empty: peers are still managed in the database and applied once WireGuard runs.
 */
export interface PeerNetwork {
  serverPublicKey(): string;
  isUp(): boolean;
  apply(peers: ServerPeerSpec[]): Promise<void>;
  /** Fresh from `wg show dump` (one command), for a single peer's page. */
  live(publicKey: string): Promise<LiveStats | undefined>;
  /** From the last poll, for lists. */
  latest(publicKey: string): LiveStats | undefined;
  history(publicKey: string): StatsPoint[];
  readonly statsIntervalMs: number;
  status(): WireGuardStatus;
}

export interface RuntimeOptions {
  config: Config;
  logger: Logger;
  now?: () => Date;
  runner?: Runner;
  /** Injected in tests; by default `detectWireGuard()`. */
  availability?: WireGuardAvailability;
  statsIntervalMs?: number;
  historySize?: number;
  /** Remove the interface on stop(). Off for the server: VPN clients stay connected across a restart. */
  teardownOnStop?: boolean;
  forceUserspace?: boolean;
  /** Injected in tests; by default root and `nft` on PATH (src/wireguard/forwarding.ts). */
  forwardingPreflight?: () => Promise<string | undefined>;
}

/** Owns the server key, the interface and the stats poller: start()/stop(); importing starts nothing. */
export class WireGuardRuntime implements PeerNetwork {
  private state: WireGuardStatus['state'] = 'stopped';
  private detail: string | undefined;
  private running: Pick<WireGuardStatus, 'version' | 'binary'> = {};
  private key: { privateKey: string; publicKey: string } | undefined;
  private iface: WireGuardInterface | undefined;
  private forwarding: Forwarding | undefined;
  private poller: StatsPoller | undefined;
  private readonly history_: StatsHistory;
  readonly statsIntervalMs: number;

  constructor(private readonly opts: RuntimeOptions) {
    this.statsIntervalMs = opts.statsIntervalMs ?? 60_000;
    this.history_ = new StatsHistory(opts.historySize ?? 1440);
  }

  /**
   * Loads (or makes) the server key, then brings the interface up with `initialPeers`. Failure to run
   * WireGuard is logged with what to install and leaves the runtime `unavailable`/`error`, unless
   * GATEHOUSE_WG_ENABLED=true, where it is fatal.
   */
  async start(initialPeers: ServerPeerSpec[] = []): Promise<void> {
    const { config, logger } = this.opts;
    const wg = config.wireguard;
    this.key = await loadOrCreateServerKey(config.dataDir, secretBoxFor(config));
    if (wg.mode === 'false') {
      this.state = 'disabled';
      this.detail = 'disabled by GATEHOUSE_WG_ENABLED=false';
      return;
    }
    this.state = 'starting';
    const availability = this.opts.availability ?? (await detectWireGuard());
    if (!availability.available) {
      this.state = 'unavailable';
      this.detail = availability.detail;
      logger.warn({ detail: availability.detail }, 'WireGuard unavailable; peers are managed but not applied');
      if (wg.mode === 'true')
        throw new Error(`WireGuard is required (GATEHOUSE_WG_ENABLED=true): ${availability.detail}`);
      return;
    }
    const iface = new WireGuardInterface({
      name: wg.interface,
      address: wg.address,
      prefix: wg.prefix,
      listenPort: wg.port,
      privateKey: this.key.privateKey,
      runner: this.opts.runner ?? runCommand,
      logger,
      forceUserspace: this.opts.forceUserspace,
      wireguardGo: availability.userspace?.path,
    });
    // Set before up(): a half-made interface is still ours to remove on stop().
    this.iface = iface;
    try {
      await iface.up(initialPeers);
    } catch (err) {
      this.iface = undefined;
      if (this.opts.teardownOnStop) await iface.down().catch(() => {});
      this.state = 'error';
      this.detail = `could not bring up ${wg.interface}: ${(err as Error).message}`;
      logger.error({ detail: this.detail }, 'WireGuard interface failed; peers are managed but not applied');
      if (wg.mode === 'true') throw err;
      return;
    }
    this.state = 'up';
    this.detail = availability.detail;
    this.running = await runningImplementation(iface.implementation, availability);
    logger.info({ implementation: iface.implementation, ...this.running }, 'WireGuard is up');
    this.forwarding = new Forwarding({
      iface: wg.interface,
      logger,
      runner: this.opts.runner,
      preflight: this.opts.forwardingPreflight,
    });
    await this.forwarding.reconcile(fullTunnelSources(initialPeers));
    this.poller = new StatsPoller({
      source: () => iface.dump(),
      history: this.history_,
      intervalMs: this.statsIntervalMs,
      now: this.opts.now ?? (() => new Date()),
      logger,
    });
    this.poller.start();
  }

  async stop(): Promise<void> {
    await this.poller?.stop();
    this.poller = undefined;
    // Our table goes even when the interface stays: nothing of ours is left in the host's firewall.
    await this.forwarding?.stop();
    this.forwarding = undefined;
    if (this.iface && this.opts.teardownOnStop) await this.iface.down();
    this.iface = undefined;
    this.state = 'stopped';
  }

  serverPublicKey(): string {
    if (!this.key) throw new Error('WireGuardRuntime.start() has not run');
    return this.key.publicKey;
  }

  isUp(): boolean {
    return this.state === 'up';
  }

  async apply(peers: ServerPeerSpec[]): Promise<void> {
    if (!this.iface) return;
    await this.iface.sync(peers);
    await this.forwarding?.reconcile(fullTunnelSources(peers));
  }

  async live(publicKey: string): Promise<LiveStats | undefined> {
    if (!this.iface) return undefined;
    const dump = await this.iface.dump();
    const peer = dump.peers.find((p) => p.publicKey === publicKey);
    if (!peer) return undefined;
    const { latestHandshake, rxBytes, txBytes, endpoint } = peer;
    return { latestHandshake, rxBytes, txBytes, endpoint, sampledAt: (this.opts.now ?? (() => new Date()))() };
  }

  latest(publicKey: string): LiveStats | undefined {
    return this.history_.latest(publicKey);
  }

  history(publicKey: string): StatsPoint[] {
    return this.history_.history(publicKey);
  }

  /** Samples now (tests and the e2e do not wait a minute). */
  async pollStats(): Promise<void> {
    await this.poller?.pollOnce();
  }

  status(): WireGuardStatus {
    return {
      state: this.state,
      interface: this.opts.config.wireguard.interface,
      implementation: this.iface?.implementation,
      ...this.running,
      detail: this.detail,
      public_key: this.key?.publicKey,
      listen_port: this.opts.config.wireguard.port,
      forwarding: this.forwarding?.status(),
    };
  }
}

const fullTunnelSources = (peers: ServerPeerSpec[]) => peers.filter((p) => p.fullTunnel).map((p) => p.address);

/** Which version runs: the kernel module's, or the wireguard-go binary that was started. */
async function runningImplementation(
  implementation: WireGuardInterface['implementation'],
  availability: WireGuardAvailability,
): Promise<Pick<WireGuardStatus, 'version' | 'binary'>> {
  if (implementation === 'kernel') return { version: kernelWireGuardVersion() ?? availability.version };
  if (implementation === 'wireguard-go' && availability.userspace) {
    const binary = availability.userspace;
    return { version: availability.version ?? (await wireGuardGoVersion(binary.path)), binary };
  }
  return {};
}
