import type { Logger } from '../logger.ts';
import { renderServerConf, type ServerPeerSpec } from './conf.ts';
import { type InterfaceDump, parseDump } from './dump.ts';
import { CommandError, type Runner, withSecretFile } from './exec.ts';

export interface InterfaceOptions {
  name: string;
  /** The server's tunnel address and the subnet's prefix, e.g. 10.8.0.1 and 24. */
  address: string;
  prefix: number;
  listenPort: number;
  privateKey: string;
  runner: Runner;
  logger: Logger;
  /** Skip the kernel attempt (tests that must exercise wireguard-go). Default: try the kernel first. */
  forceUserspace?: boolean;
  /** The wireguard-go binary started when there is no kernel WireGuard (src/wireguard/userspace.ts). */
  wireguardGo?: string | undefined;
}

/**
 * Owns the server's WireGuard interface. `up()` is idempotent: an interface that is already there (left
 * running across a control-plane restart, so VPN clients were not cut off) is adopted and reconfigured.
 * Peer changes go through `sync()`, i.e. `wg syncconf`, which changes only what differs and never restarts
 * the interface. Keys reach `wg` through a 0600 temp file (withSecretFile), never argv.
 */
export class WireGuardInterface {
  implementation: 'kernel' | 'wireguard-go' | 'existing' | undefined;
  /** Applies run one at a time, in call order: the last call's peer set is what the interface ends with. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: InterfaceOptions) {}

  get name(): string {
    return this.opts.name;
  }

  private run(command: string, args: string[], stdin?: string) {
    return this.opts.runner(command, args, { stdin, timeoutMs: 15_000 });
  }

  async exists(): Promise<boolean> {
    try {
      await this.run('ip', ['link', 'show', 'dev', this.opts.name]);
      return true;
    } catch (err) {
      if (err instanceof CommandError && /does not exist|Cannot find device/i.test(err.stderr)) return false;
      throw err;
    }
  }

  async up(peers: ServerPeerSpec[] = []): Promise<void> {
    const { name, logger } = this.opts;
    if (await this.exists()) {
      // Proves it is a WireGuard interface we can talk to, not some other link with our name.
      await this.run('wg', ['show', name, 'listen-port']);
      this.implementation = 'existing';
      logger.info({ interface: name }, 'adopting the existing WireGuard interface');
    } else {
      this.implementation = await this.create();
      logger.info({ interface: name, implementation: this.implementation }, 'WireGuard interface created');
    }
    await withSecretFile(`${this.opts.privateKey}\n`, (file) =>
      this.run('wg', ['set', name, 'listen-port', String(this.opts.listenPort), 'private-key', file]),
    );
    await this.run('ip', ['-4', 'address', 'replace', `${this.opts.address}/${this.opts.prefix}`, 'dev', name]);
    await this.run('ip', ['link', 'set', 'dev', name, 'up']);
    await this.sync(peers);
  }

  private async create(): Promise<'kernel' | 'wireguard-go'> {
    const { name } = this.opts;
    if (!this.opts.forceUserspace) {
      try {
        await this.run('ip', ['link', 'add', 'dev', name, 'type', 'wireguard']);
        return 'kernel';
      } catch (err) {
        this.opts.logger.info({ reason: (err as Error).message }, 'no kernel WireGuard; starting wireguard-go');
      }
    }
    // wireguard-go daemonises once the TUN device exists; the interface (and the daemon) lives until
    // `ip link del`. Its UAPI socket is /var/run/wireguard/<name>.sock, so every instance needs its own name.
    await this.opts.runner(this.opts.wireguardGo ?? 'wireguard-go', [name], {
      timeoutMs: 15_000,
      env: { ...process.env, LOG_LEVEL: '' },
    });
    return 'wireguard-go';
  }

  /** Makes the interface carry exactly `peers` (`wg syncconf`): others are removed, nothing is restarted. */
  sync(peers: ServerPeerSpec[]): Promise<void> {
    const conf = renderServerConf({ privateKey: this.opts.privateKey, listenPort: this.opts.listenPort, peers });
    const apply = () => withSecretFile(conf, (file) => this.run('wg', ['syncconf', this.opts.name, file]));
    const next = this.queue.then(apply, apply);
    this.queue = next.catch(() => {});
    return next.then(() => undefined);
  }

  async dump(): Promise<InterfaceDump> {
    const { stdout } = await this.run('wg', ['show', this.opts.name, 'dump']);
    return parseDump(stdout);
  }

  /** Removes the interface (a wireguard-go daemon exits with it). Missing is fine. */
  async down(): Promise<void> {
    try {
      await this.run('ip', ['link', 'del', 'dev', this.opts.name]);
    } catch (err) {
      if (!(err instanceof CommandError && /Cannot find device|does not exist/i.test(err.stderr))) throw err;
    }
  }
}
