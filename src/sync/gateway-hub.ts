import { type GatewayConfig, protocolOneConfig } from '@gatehouse/protocol';
import type { Logger } from '../logger.ts';
import type { GatewayConfigSource } from './gateway-config-source.ts';

/** The part of Hono's SSE stream the hub writes to (an interface, so tests and benches can count writes). */
export interface SseSink {
  writeSSE(message: { data: string; event?: string; id?: string; retry?: number }): Promise<void>;
  close(): Promise<void> | void;
  onAbort(listener: () => void | Promise<void>): void;
  readonly aborted: boolean;
  readonly closed: boolean;
}

interface Connection {
  gatewayId: number;
  sink: SseSink;
  /** The version this agent has: from Last-Event-ID, then from every config event we sent. */
  version: number | undefined;
  hash: string | undefined;
  /** 1: a strict agent that knows none of the optional fields (it gets `protocolOneConfig`); 2: it knows them. */
  protocol: 1 | 2;
  done: () => void;
}

export interface GatewayHubOptions {
  source: GatewayConfigSource;
  logger: Logger;
  /** Keep-alive interval: below the idle timeouts of proxies and the agent's own watchdog (45 s). */
  pingIntervalMs?: number;
  /** The `retry:` hint: the agents' first reconnect delay (they add jitter and back off from it). */
  retryMs?: number;
}

/**
 * Holds the agents' event streams and pushes configs to them. `publish()` is what the write path calls
 * after a commit; each connected gateway's config is built once and sent to its streams unless they hold
 * that version already. One ping timer serves every stream.
 */
export class GatewayHub {
  private readonly connections = new Set<Connection>();
  private pinger: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly opts: GatewayHubOptions) {}

  start(): void {
    this.stopped = false;
    this.pinger = setInterval(() => this.ping(), this.opts.pingIntervalMs ?? 15_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pinger);
    await this.chain;
    for (const c of [...this.connections]) await this.drop(c);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  isOnline(gatewayId: number): boolean {
    for (const c of this.connections) if (c.gatewayId === gatewayId) return true;
    return false;
  }

  /**
   * Serves one agent's stream until it goes away: the retry hint, then the current config unless the
   * agent's Last-Event-ID says it has this version already (a resume is not a replay).
   */
  async attach(
    gatewayId: number,
    sink: SseSink,
    lastEventId: string | undefined,
    opts: { protocol?: 1 | 2 } = {},
  ): Promise<void> {
    if (this.stopped) return;
    const resumed = lastEventId && /^\d+$/.test(lastEventId) ? Number(lastEventId) : undefined;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    const conn: Connection = { gatewayId, sink, version: resumed, hash: undefined, protocol: opts.protocol ?? 1, done };
    this.connections.add(conn);
    sink.onAbort(() => this.drop(conn));
    try {
      await sink.writeSSE({ event: 'ping', data: '', retry: this.opts.retryMs ?? 2_000 });
      // Through the chain, so a publish running right now cannot interleave an older config after ours.
      await this.enqueue(async () => {
        await this.sendCurrent([conn], await this.opts.source.configFor(gatewayId));
      });
      await finished;
    } finally {
      this.connections.delete(conn);
    }
  }

  /** Drops a gateway's streams (token rotated, gateway deleted): its agent must reconnect and re-authenticate. */
  async disconnect(gatewayId: number): Promise<void> {
    for (const c of [...this.connections]) if (c.gatewayId === gatewayId) await this.drop(c);
  }

  /**
   * Pushes the current config to every connected gateway whose agent does not have it. Called by the
   * write path after a commit; the version argument is informational (the source reads the committed state).
   */
  publish(_version?: number): Promise<void> {
    return this.enqueue(async () => {
      const byGateway = new Map<number, Connection[]>();
      for (const c of this.connections) {
        const list = byGateway.get(c.gatewayId);
        if (list) list.push(c);
        else byGateway.set(c.gatewayId, [c]);
      }
      const batch = this.opts.source.configsFor
        ? await this.opts.source.configsFor([...byGateway.keys()]).catch((err: Error) => {
            this.opts.logger.error({ err }, 'gateway configs could not be built in one pass; building them one by one');
            return undefined;
          })
        : undefined;
      for (const [gatewayId, conns] of byGateway) {
        try {
          await this.sendCurrent(conns, batch?.get(gatewayId) ?? (await this.opts.source.configFor(gatewayId)));
        } catch (err) {
          this.opts.logger.error(
            { err, gatewayId },
            'gateway config could not be built; its agents keep the previous one',
          );
        }
      }
    });
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => {});
    return run;
  }

  private async sendCurrent(conns: Connection[], current: GatewayConfig): Promise<void> {
    const forms = { 2: current, 1: protocolOneConfig(current) };
    const data = { 2: JSON.stringify(forms[2]), 1: JSON.stringify(forms[1]) };
    await Promise.all(
      conns.map(async (c) => {
        const config = forms[c.protocol];
        // Equal only: an agent claiming a version we never reached (a database restored from backup) gets ours.
        if (c.version === config.version) return;
        c.version = config.version;
        c.hash = config.hash;
        await this.write(c, { event: 'config', id: String(config.version), data: data[c.protocol] });
      }),
    );
  }

  private ping(): void {
    for (const c of this.connections) void this.write(c, { event: 'ping', data: '' });
  }

  private async write(c: Connection, message: { event: string; data: string; id?: string }): Promise<void> {
    if (c.sink.aborted || c.sink.closed) return this.drop(c);
    try {
      await c.sink.writeSSE(message);
    } catch {
      await this.drop(c);
    }
  }

  private async drop(c: Connection): Promise<void> {
    if (!this.connections.delete(c)) return;
    try {
      await c.sink.close();
    } catch {
      // already gone
    }
    c.done();
  }
}
