import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db, DbCallKind } from '../../db/index.ts';
import { peers } from '../../db/schema/index.ts';
import { currentVersion } from '../config/version.ts';
import { listGatewayRows } from '../gateways/read.ts';
import { dataPlaneSeries } from './data-plane.ts';

/** What the control plane knows only at run time; each part is optional (absent: its series are left out). */
export interface MetricsSources {
  db: Db;
  now: () => Date;
  /** Caddy's admin `/metrics` text (over its unix socket); undefined when Caddy is not running. */
  scrapeDataPlane?: (() => Promise<string | undefined>) | undefined;
  /** WireGuard per peer, from the runtime's last `wg show dump`. */
  wireguardPeers?:
    | ((publicKey: string) => { rxBytes: number; txBytes: number; handshakeAt: Date | null } | undefined)
    | undefined;
  gatewayOnline?: ((gatewayId: number) => boolean) | undefined;
  /** Open event streams by kind (gateway agents, live log viewers). */
  sseConnections?: (() => Record<string, number>) | undefined;
}

/**
 * The control plane's Prometheus registry (`/metrics`, src/http/metrics.ts): its own series (HTTP by route
 * pattern and status, database call durations, SSE streams, gateway sync), each gateway (online, drift,
 * listeners and targets), WireGuard per peer, and the data plane's `gatehouse_*` series scraped from Caddy's
 * admin API. Series names are listed in docs/metrics.md; docs/grafana-dashboard.json uses them.
 */
export class ControlPlaneMetrics {
  readonly registry = new Registry();
  readonly http: Histogram<'method' | 'route' | 'status'>;
  readonly db: Histogram<'kind'>;
  readonly sync: Histogram<'target'>;
  readonly accessLogStored: Counter;
  #sources: MetricsSources | undefined;

  constructor() {
    const registers = [this.registry];
    this.http = new Histogram({
      name: 'gatehouse_cp_http_request_duration_seconds',
      help: 'Control-plane HTTP requests by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.db = new Histogram({
      name: 'gatehouse_cp_db_call_duration_seconds',
      help: 'Database calls (read, write, transaction) including the wait for the write queue',
      labelNames: ['kind'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    });
    this.sync = new Histogram({
      name: 'gatehouse_cp_sync_duration_seconds',
      help: 'From a committed config change to its config sent to every connected gateway',
      labelNames: ['target'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
    this.accessLogStored = new Counter({
      name: 'gatehouse_cp_access_log_entries_total',
      help: 'Access log entries stored',
      registers,
    });
    const sources = () => this.#sources;
    new Gauge({
      name: 'gatehouse_cp_sse_connections',
      help: 'Open server-sent event streams by kind',
      labelNames: ['stream'],
      registers,
      collect() {
        this.reset();
        for (const [stream, n] of Object.entries(sources()?.sseConnections?.() ?? {})) this.set({ stream }, n);
      },
    });
    const peerBytes = new Gauge({
      name: 'gatehouse_cp_wireguard_peer_bytes',
      help: 'WireGuard bytes per peer since the interface came up (rx: received from the peer)',
      labelNames: ['peer', 'direction'],
      registers,
    });
    const handshake = new Gauge({
      name: 'gatehouse_cp_wireguard_peer_handshake_age_seconds',
      help: 'Seconds since the latest WireGuard handshake per peer (peers without one are left out)',
      labelNames: ['peer'],
      registers,
    });
    const online = new Gauge({
      name: 'gatehouse_cp_gateway_online',
      help: '1 when the gateway agent has its event stream open',
      labelNames: ['gateway'],
      registers,
    });
    const drift = new Gauge({
      name: 'gatehouse_cp_gateway_drift',
      help: '1 when the gateway has not applied the current config version',
      labelNames: ['gateway'],
      registers,
    });
    const listeners = new Gauge({
      name: 'gatehouse_cp_gateway_listeners',
      help: 'Gateway listeners by state, as the agent last reported (listening, failed, stopped)',
      labelNames: ['gateway', 'state'],
      registers,
    });
    const targets = new Gauge({
      name: 'gatehouse_cp_gateway_targets',
      help: 'Gateway route targets by reachability, as the agent last reported',
      labelNames: ['gateway', 'reachable'],
      registers,
    });
    // One collect for the database-backed series: a scrape reads the gateways once.
    this.collectRuntime = async () => {
      const s = this.#sources;
      if (!s) return;
      const now = s.now().getTime();
      peerBytes.reset();
      handshake.reset();
      const [rows, version, peerRows] = await Promise.all([
        listGatewayRows(s.db),
        currentVersion(s.db),
        s.wireguardPeers ? s.db.select({ name: peers.name, publicKey: peers.publicKey }).from(peers) : [],
      ]);
      for (const { name, publicKey } of peerRows) {
        const p = s.wireguardPeers?.(publicKey);
        if (!p) continue;
        peerBytes.set({ peer: name, direction: 'rx' }, p.rxBytes);
        peerBytes.set({ peer: name, direction: 'tx' }, p.txBytes);
        if (p.handshakeAt) handshake.set({ peer: name }, Math.max(0, (now - p.handshakeAt.getTime()) / 1000));
      }
      for (const g of [online, drift, listeners, targets]) g.reset();
      for (const { gateway } of rows) {
        const name = gateway.name;
        online.set({ gateway: name }, s.gatewayOnline?.(gateway.id) ? 1 : 0);
        drift.set({ gateway: name }, gateway.appliedVersion === null || gateway.appliedVersion < version ? 1 : 0);
        const st = gateway.lastStatus;
        for (const state of ['listening', 'failed', 'stopped'] as const) {
          listeners.set({ gateway: name, state }, st?.listeners.filter((l) => l.state === state).length ?? 0);
        }
        for (const reachable of [true, false]) {
          targets.set(
            { gateway: name, reachable: String(reachable) },
            st?.targets.filter((t) => t.reachable === reachable).length ?? 0,
          );
        }
      }
    };
  }

  private readonly collectRuntime: () => Promise<void>;

  attach(sources: MetricsSources): void {
    this.#sources = sources;
  }

  observeDb = (kind: DbCallKind, seconds: number): void => {
    this.db.observe({ kind }, seconds);
  };

  /** The exposition text: ours, then the data plane's `gatehouse_*` series (when Caddy answers). */
  async render(): Promise<string> {
    await this.collectRuntime().catch(() => undefined);
    const own = await this.registry.metrics();
    const raw = await this.#sources?.scrapeDataPlane?.().catch(() => undefined);
    return raw ? `${own}${dataPlaneSeries(raw)}` : own;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
