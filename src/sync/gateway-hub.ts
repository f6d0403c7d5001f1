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
  /** Fails the pending and future writes (Hono's `StreamingApi.abort`), so a stuck write settles. */
  abort?(): void;
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
  /** Tears down the socket under the stream: a peer that stopped reading never drains it. */
  destroyTransport?: () => void;
}

export interface GatewayHubOptions {
  source: GatewayConfigSource;
  logger: Logger;
  /**
   * Keep-alive interval (default 15 s), announced in every ping so that agents can treat a stream silent
   * for longer (plus a margin) as dead; below the idle timeouts of proxies.
   */
  pingIntervalMs?: number;
  /**
   * A write to one stream that has not gone out after this long (default: one ping interval) means its
   * peer stopped reading or vanished with data in flight: the stream is dropped and its socket destroyed,
   * so the gateway shows offline and the publishes to every other agent do not wait on it.
   */
  stallTimeoutMs?: number;
  /** The `retry:` hint: the agents' first reconnect delay (they add jitter and back off from it). */
  retryMs?: number;
  /** Called when a gateway's first stream opens or its last one closes (pool rotation, src/caddy/pool.ts). */
  onPresence?: (gatewayId: number, online: boolean) => void;
}

/**
 * Holds the agents' event streams and pushes configs to them. `publish()` is what the write path calls
 * after a commit; each connected gateway's config is built once and sent to its streams unless they hold
 * that version already. One ping timer serves every stream.
 */
export class GatewayHub {
  private readonly connections = new Set<Connection>();
  /** Streams per gateway, kept with `connections`: isOnline is asked once per gateway of a list (O(1) each). */
  private readonly streamsOf = new Map<number, number>();
  private pinger: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly opts: GatewayHubOptions) {}

  start(): void {
    this.stopped = false;
    this.pinger = setInterval(() => this.ping(), this.pingIntervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pinger);
    await this.chain;
    for (const c of [...this.connections]) await this.drop(c);
  }

  private get pingIntervalMs(): number {
    return this.opts.pingIntervalMs ?? 15_000;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  isOnline(gatewayId: number): boolean {
    return (this.streamsOf.get(gatewayId) ?? 0) > 0;
  }

  private add(c: Connection): void {
    this.connections.add(c);
    this.streamsOf.set(c.gatewayId, (this.streamsOf.get(c.gatewayId) ?? 0) + 1);
  }

  /** False when `c` was gone already. */
  private remove(c: Connection): boolean {
    if (!this.connections.delete(c)) return false;
    const left = (this.streamsOf.get(c.gatewayId) ?? 1) - 1;
    if (left > 0) this.streamsOf.set(c.gatewayId, left);
    else this.streamsOf.delete(c.gatewayId);
    return true;
  }

  /**
   * Serves one agent's stream until it goes away: the retry hint, then the current config unless the
   * agent's Last-Event-ID says it has this version already (a resume is not a replay).
   */
  async attach(
    gatewayId: number,
    sink: SseSink,
    lastEventId: string | undefined,
    opts: { protocol?: 1 | 2; destroyTransport?: () => void } = {},
  ): Promise<void> {
    if (this.stopped) return;
    const resumed = lastEventId && /^\d+$/.test(lastEventId) ? Number(lastEventId) : undefined;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    const conn: Connection = {
      gatewayId,
      sink,
      version: resumed,
      hash: undefined,
      protocol: opts.protocol ?? 1,
      done,
      destroyTransport: opts.destroyTransport,
    };
    const wasOnline = this.isOnline(gatewayId);
    this.add(conn);
    if (!wasOnline) this.opts.onPresence?.(gatewayId, true);
    sink.onAbort(() => this.drop(conn));
    try {
      await this.write(conn, { event: 'ping', data: String(this.pingIntervalMs), retry: this.opts.retryMs ?? 2_000 });
      // Through the chain, so a publish running right now cannot interleave an older config after ours.
      await this.enqueue(async () => {
        await this.sendCurrent([conn], await this.opts.source.configFor(gatewayId));
      });
      await finished;
    } finally {
      if (this.remove(conn) && !this.isOnline(gatewayId)) this.opts.onPresence?.(gatewayId, false);
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
      // Every gateway's writes at once: awaiting each stream's flush in turn made the last of 1,000 agents
      // wait for 999 socket round trips (bench/gateway-sync.ts), and one stalled stream held up all after it.
      // Each stream still gets its events in order: the chain runs one publish at a time.
      await Promise.all(
        [...byGateway].map(async ([gatewayId, conns]) => {
          try {
            await this.sendCurrent(conns, batch?.get(gatewayId) ?? (await this.opts.source.configFor(gatewayId)));
          } catch (err) {
            this.opts.logger.error(
              { err, gatewayId },
              'gateway config could not be built; its agents keep the previous one',
            );
          }
        }),
      );
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
    const data = String(this.pingIntervalMs);
    for (const c of this.connections) void this.write(c, { event: 'ping', data });
  }

  /** One write, bounded: a stream whose write does not go out within the stall timeout is dropped. */
  private async write(
    c: Connection,
    message: { event: string; data: string; id?: string; retry?: number },
  ): Promise<void> {
    if (c.sink.aborted || c.sink.closed) return this.drop(c);
    const stalled = setTimeout(() => {
      this.opts.logger.warn({ gatewayId: c.gatewayId }, 'gateway event stream stalled (peer not reading); dropping it');
      void this.drop(c, true);
    }, this.opts.stallTimeoutMs ?? this.pingIntervalMs);
    try {
      await c.sink.writeSSE(message);
    } catch {
      await this.drop(c);
    } finally {
      clearTimeout(stalled);
    }
  }

  private async drop(c: Connection, stalled = false): Promise<void> {
    if (!this.remove(c)) return;
    if (!this.isOnline(c.gatewayId)) this.opts.onPresence?.(c.gatewayId, false);
    c.done();
    if (stalled) {
      // A graceful close would wait for the stuck write; fail it and cut the socket instead.
      c.sink.abort?.();
      c.destroyTransport?.();
      return;
    }
    try {
      await c.sink.close();
    } catch {
      // already gone
    }
  }
}
