import { setTimeout as sleep } from 'node:timers/promises';
import { AGENT_PROTOCOL_HEADER, type GatewayConfig, GatewayConfigSchema } from '@gatehouse/protocol';
import type { Logger } from './logger.ts';

/** The server refused our token: retrying cannot help, so the agent stops and says what to do. */
export class FatalSyncError extends Error {
  constructor(readonly status: number) {
    super(
      status === 401
        ? 'the server rejected the gateway token (HTTP 401): check --token / GATEHOUSE_GATEWAY_TOKEN; if the token was rotated, use the new one'
        : 'the server refused this gateway (HTTP 403): the gateway may be disabled or its token not meant for this endpoint',
    );
    this.name = 'FatalSyncError';
  }
}

export interface SseClientOptions {
  /**
   * `…/api/v1/gateway/events`, or one per control plane (several edges, docs/scaling.md): the stream follows one
   * at a time and moves to the next at once when it fails, backing off only after every one failed in a row.
   */
  url: string | readonly string[];
  token: string;
  logger: Logger;
  /** The version the agent runs now; sent as Last-Event-ID so the server skips what we already have. */
  lastEventId: () => string | undefined;
  /** Called with each valid config event, one at a time; the next event waits for it. */
  onConfig: (config: GatewayConfig) => Promise<void>;
  onRejected?: (problem: string) => void;
  onFatal: (err: FatalSyncError) => void;
  onConnection?: (state: 'connected' | 'disconnected') => void;
  /** First reconnect delay until the server's `retry:` says otherwise (default 1 s). */
  retryMs?: number;
  maxRetryMs?: number;
  /**
   * No byte (not even a ping) for this long means a dead connection (default 45 s: three missed pings of a
   * server that does not announce its interval). A server that announces it in its pings (`data:` = ms)
   * shortens this to that interval plus a margin (see `idleDeadline`).
   */
  idleTimeoutMs?: number;
  random?: () => number;
  fetch?: typeof fetch;
}

/**
 * Server-sent events over fetch (Node has no EventSource): Last-Event-ID resume, the server's `retry:`
 * hint, exponential backoff with jitter so that a fleet of agents does not reconnect in lockstep after a
 * server restart, fatal on 401/403, and every event validated before the agent sees it.
 */
export class SseClient {
  private stopped = false;
  private aborter: AbortController | undefined;
  /** Aborted by stop() only: the backoff sleep must not share the connection's signal, which the watchdog aborts. */
  private readonly stopper = new AbortController();
  private loop: Promise<void> | undefined;
  private retryMs: number;
  private attempt = 0;
  /** The ping interval the server announced (ms), if it did. */
  private serverPingMs: number | undefined;
  connected = false;
  /** Reconnects so far (tests and metrics). */
  reconnects = 0;
  private readonly urls: readonly string[];
  private urlIndex = 0;
  /** Control planes tried without a working stream since the last one that worked. */
  private failedInRow = 0;

  constructor(private readonly opts: SseClientOptions) {
    this.retryMs = opts.retryMs ?? 1_000;
    this.urls = typeof opts.url === 'string' ? [opts.url] : [...opts.url];
    if (this.urls.length === 0) throw new Error('SseClient needs at least one URL');
  }

  /** The control plane the stream follows now (or tries next). */
  get url(): string {
    return this.urls[this.urlIndex]!;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopper.abort();
    this.aborter?.abort();
    await this.loop;
  }

  /** Equal jitter: half the exponential delay fixed, half random, so no two agents share a schedule. */
  nextDelay(): number {
    const max = this.opts.maxRetryMs ?? 30_000;
    const exp = Math.min(max, this.retryMs * 2 ** Math.min(this.attempt, 16));
    return Math.round(exp / 2 + (this.opts.random ?? Math.random)() * (exp / 2));
  }

  /**
   * How long the stream may stay silent before it counts as dead: the announced ping interval plus a margin
   * of half an interval (at least 1 s) for scheduling and network delay, never more than `idleTimeoutMs`.
   * A half-open stream (the server's packets stop arriving, no FIN) is so noticed within about one interval.
   */
  idleDeadline(): number {
    const cap = this.opts.idleTimeoutMs ?? 45_000;
    const ping = this.serverPingMs;
    return ping === undefined ? cap : Math.min(cap, ping + Math.max(1_000, Math.round(ping / 2)));
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const aborter = new AbortController();
      this.aborter = aborter;
      try {
        await this.connectOnce(aborter);
        if (!this.stopped) this.opts.logger.info('event stream ended; reconnecting');
      } catch (err) {
        if (this.stopped) break;
        if (err instanceof FatalSyncError) {
          this.opts.logger.fatal({ status: err.status }, err.message);
          this.opts.onFatal(err);
          return;
        }
        this.opts.logger.warn({ err: (err as Error).message, attempt: this.attempt }, 'event stream failed');
      } finally {
        if (this.connected) {
          this.connected = false;
          this.opts.onConnection?.('disconnected');
        }
      }
      if (this.stopped) break;
      // Another control plane is tried at once (edge failover); the backoff starts when all have failed in a row.
      const moveOn = this.urls.length > 1 && this.failedInRow < this.urls.length;
      if (this.urls.length > 1) this.urlIndex = (this.urlIndex + 1) % this.urls.length;
      const delay = moveOn ? 0 : this.nextDelay();
      if (!moveOn) this.failedInRow = 0;
      this.attempt++;
      this.reconnects++;
      try {
        await sleep(delay, undefined, { signal: this.stopper.signal });
      } catch {
        break; // stopped while waiting
      }
    }
  }

  private async connectOnce(aborter: AbortController): Promise<void> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.opts.token}`,
      accept: 'text/event-stream',
      // We understand lan_networks and server_tunnel_ip; without this the server sends protocol-1 configs.
      [AGENT_PROTOCOL_HEADER]: '2',
    };
    const last = this.opts.lastEventId();
    if (last !== undefined) headers['last-event-id'] = last;
    let watchdog = setTimeout(() => aborter.abort(new Error('connect timed out')), this.idleDeadline());
    try {
      this.failedInRow++;
      const res = await (this.opts.fetch ?? fetch)(this.url, { headers, signal: aborter.signal });
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel().catch(() => {});
        throw new FatalSyncError(res.status);
      }
      if (!res.ok || !res.body) {
        await res.body?.cancel().catch(() => {});
        throw new Error(`server answered HTTP ${res.status}`);
      }
      this.connected = true;
      this.failedInRow = 0;
      this.opts.onConnection?.('connected');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      let event = { type: 'message', data: [] as string[], id: undefined as string | undefined };
      for (;;) {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => aborter.abort(new Error('no data from the server')), this.idleDeadline());
        const { done, value } = await reader.read();
        if (done) return;
        buffer += value;
        // Only whole lines are parsed; a half-received event is dropped with the connection, and the
        // reconnect's Last-Event-ID brings it again.
        let newline = buffer.search(/\r\n|\r|\n/);
        while (newline >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(buffer[newline] === '\r' && buffer[newline + 1] === '\n' ? newline + 2 : newline + 1);
          if (line === '') {
            if (event.data.length > 0 || event.type !== 'message')
              await this.dispatch(event.type, event.data.join('\n'));
            event = { type: 'message', data: [], id: undefined };
          } else if (!line.startsWith(':')) {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') event.type = value;
            else if (field === 'data') event.data.push(value);
            else if (field === 'id') event.id = value;
            else if (field === 'retry' && /^\d+$/.test(value))
              this.retryMs = Math.min(60_000, Math.max(100, Number(value)));
          }
          newline = buffer.search(/\r\n|\r|\n/);
        }
        if (buffer.length > 16 * 1024 * 1024) throw new Error('event larger than 16 MiB');
      }
    } finally {
      clearTimeout(watchdog);
    }
  }

  private async dispatch(type: string, data: string): Promise<void> {
    if (type === 'ping') {
      this.attempt = 0;
      // Servers that announce their interval send it as the data (bounded; anything else is ignored).
      if (/^\d{1,7}$/.test(data) && Number(data) >= 100 && Number(data) <= 600_000) this.serverPingMs = Number(data);
      return;
    }
    if (type !== 'config') return;
    let parsed: ReturnType<typeof GatewayConfigSchema.safeParse>;
    try {
      parsed = GatewayConfigSchema.safeParse(JSON.parse(data));
    } catch (err) {
      return this.reject(`not JSON: ${(err as Error).message}`);
    }
    if (!parsed.success) {
      return this.reject(parsed.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`).join('; '));
    }
    this.attempt = 0;
    await this.opts.onConfig(parsed.data);
  }

  private reject(problem: string): void {
    this.opts.logger.error({ problem }, 'config event rejected; keeping the last good configuration');
    this.opts.onRejected?.(problem);
  }
}
