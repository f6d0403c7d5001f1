import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatewayConfig, GatewayStatusReport } from '@gatehouse/protocol';
import type { AgentConfig } from './config.ts';
import type { Logger } from './logger.ts';
import { AgentMetrics } from './metrics.ts';
import { probeTargets } from './probe.ts';
import { AgentReconciler, type AgentReconcilerOptions } from './reconciler.ts';
import { type FatalSyncError, SseClient, type SseClientOptions } from './sse-client.ts';
import { loadLastConfig, saveLastConfig } from './state.ts';

export interface AgentOptions {
  config: AgentConfig;
  logger: Logger;
  /** Called once when the server refuses the token; the CLI exits with the error's message. */
  onFatal?: (err: FatalSyncError) => void;
  /** Test knobs: timeouts, WoL port, backoff randomness. */
  reconciler?: Partial<AgentReconcilerOptions>;
  sse?: Partial<Pick<SseClientOptions, 'retryMs' | 'maxRetryMs' | 'idleTimeoutMs' | 'random'>>;
  probeTimeoutMs?: number;
}

/**
 * `gatehouse agent` (alias `gatehouse gateway`, or `gatehouse-agent` alone): the LAN agent. Starts from the
 * last good config on disk (so it forwards even when the server is unreachable), follows the server's event
 * stream, applies each valid config through the reconciler, saves it, and reports listener and target state
 * back. `stop()` closes every socket it made.
 */
export class Agent {
  readonly metrics = new AgentMetrics();
  readonly reconciler: AgentReconciler;
  private readonly sse: SseClient;
  private statusTimer: NodeJS.Timeout | undefined;
  private metricsServer: Server | undefined;
  private reporting: Promise<void> | undefined;
  private reportAgain = false;
  private stopped = false;
  /** Every valid config event that arrived (tests count replays with it). */
  received = 0;

  constructor(private readonly opts: AgentOptions) {
    const { config, logger } = opts;
    this.reconciler = new AgentReconciler({
      logger: logger.child({ component: 'reconciler' }),
      listenHost: config.listen_host,
      allowLoopbackTargets: config.allow_loopback_targets,
      edgeTunnelAddresses: config.edge_tunnel_addresses,
      statsFor: (id) => this.metrics.route(id),
      ...opts.reconciler,
    });
    this.sse = new SseClient({
      url: config.server.map((base) => `${base}/api/v1/gateway/events`),
      token: config.token,
      logger: logger.child({ component: 'sse' }),
      lastEventId: () => (this.reconciler.applied ? String(this.reconciler.applied.version) : undefined),
      onConfig: (c) => this.onConfig(c),
      onRejected: () => this.metrics.rejected(),
      onConnection: (state) => this.metrics.setConnected(state === 'connected'),
      onFatal: (err) => {
        void this.stop();
        opts.onFatal?.(err);
      },
      ...opts.sse,
    });
  }

  get appliedVersion(): number | undefined {
    return this.reconciler.applied?.version;
  }

  get connected(): boolean {
    return this.sse.connected;
  }

  get reconnects(): number {
    return this.sse.reconnects;
  }

  async start(): Promise<void> {
    const log = this.opts.logger;
    const saved = await loadLastConfig(this.opts.config.state_dir);
    if (saved.problem) log.warn({ problem: saved.problem }, 'saved configuration ignored');
    if (saved.config) {
      await this.reconciler.apply(saved.config);
      this.metrics.setVersion(saved.config.version);
      log.info({ version: saved.config.version }, 'started from the last good configuration');
    }
    if (this.opts.config.metrics_listen) await this.startMetricsServer(this.opts.config.metrics_listen);
    this.sse.start();
    this.statusTimer = setInterval(() => {
      void this.reconciler.retryFailed().then(() => this.reportSoon());
    }, this.opts.config.status_interval_seconds * 1000);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.statusTimer);
    await this.sse.stop();
    await this.reporting;
    await this.reconciler.stop();
    const server = this.metricsServer;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async onConfig(config: GatewayConfig): Promise<void> {
    this.received++;
    const applied = this.reconciler.applied;
    // A replayed or forged older version must not roll back what we run (its targets may since be refused).
    if (applied && config.version < applied.version) {
      this.metrics.rejected();
      this.opts.logger.warn(
        { version: config.version, applied: applied.version },
        'config older than the applied one ignored',
      );
      return;
    }
    // Same content under a newer version (an unrelated change elsewhere): nothing to touch, only record it.
    if (this.reconciler.applied?.hash === config.hash) this.reconciler.applied = config;
    else await this.reconciler.apply(config);
    this.metrics.setVersion(config.version);
    try {
      await saveLastConfig(this.opts.config.state_dir, config);
    } catch (err) {
      this.opts.logger.error(
        { err: (err as Error).message },
        'could not save the configuration; a restart offline would start without it',
      );
    }
    this.reportSoon();
  }

  /** One report at a time; a request during one runs once more afterwards with fresh state. */
  reportSoon(): void {
    if (this.stopped) return;
    if (this.reporting) {
      this.reportAgain = true;
      return;
    }
    this.reporting = this.report().finally(() => {
      this.reporting = undefined;
      if (this.reportAgain) {
        this.reportAgain = false;
        this.reportSoon();
      }
    });
  }

  async statusReport(): Promise<GatewayStatusReport> {
    return {
      applied_version: this.appliedVersion ?? null,
      listeners: this.reconciler.listenerStatus(),
      targets: await probeTargets(this.reconciler.targets(), {
        guard: this.reconciler.guard,
        timeoutMs: this.opts.probeTimeoutMs,
      }),
    };
  }

  private async report(): Promise<void> {
    try {
      const body = JSON.stringify(await this.statusReport());
      // To the control plane the event stream follows now (one of several edges, docs/scaling.md).
      const base = this.sse.url.replace(/\/api\/v1\/gateway\/events$/, '');
      const res = await fetch(`${base}/api/v1/gateway/status`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.opts.config.token}`, 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await res.body?.cancel();
      if (!res.ok) this.opts.logger.warn({ status: res.status }, 'status report refused');
    } catch (err) {
      this.opts.logger.debug({ err: (err as Error).message }, 'status report failed; the next one will try again');
    }
  }

  private async startMetricsServer(listen: string): Promise<void> {
    const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(listen)!;
    const server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      void this.metrics.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(text);
      });
    });
    server.on('clientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(Number(match[2]), match[1], () => resolve());
    });
    this.metricsServer = server;
    this.opts.logger.info({ port: (server.address() as AddressInfo).port }, 'metrics listening');
  }
}
