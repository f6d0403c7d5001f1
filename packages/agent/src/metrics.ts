import { Counter, Gauge, Registry } from 'prom-client';
import { newRouteStats, type RouteStats } from './stats.ts';

/**
 * The agent's Prometheus registry. Forwarders bump plain numbers in `RouteStats` on the data path; the
 * collectors copy them into the metrics only when scraped, so a busy connection costs no label lookups.
 */
export class AgentMetrics {
  readonly registry = new Registry();
  private readonly routes = new Map<number, RouteStats>();
  private readonly sync = { connected: 0, version: -1, rejected: 0, reconnects: 0 };

  constructor() {
    const routes = this.routes;
    const sync = this.sync;
    const registers = [this.registry];
    new Counter({
      name: 'gatehouse_gateway_connections_total',
      help: 'Connections (TCP) or sessions (UDP) accepted, per route',
      labelNames: ['route'],
      registers,
      collect() {
        this.reset();
        for (const [id, s] of routes) this.inc({ route: String(id) }, s.connectionsTotal);
      },
    });
    new Gauge({
      name: 'gatehouse_gateway_connections_active',
      help: 'Open connections or sessions, per route',
      labelNames: ['route'],
      registers,
      collect() {
        for (const [id, s] of routes) this.set({ route: String(id) }, s.connectionsActive);
      },
    });
    new Counter({
      name: 'gatehouse_gateway_bytes_total',
      help: 'Bytes forwarded, per route and direction (up: client to target)',
      labelNames: ['route', 'direction'],
      registers,
      collect() {
        this.reset();
        for (const [id, s] of routes) {
          this.inc({ route: String(id), direction: 'up' }, s.bytesUp);
          this.inc({ route: String(id), direction: 'down' }, s.bytesDown);
        }
      },
    });
    new Counter({
      name: 'gatehouse_gateway_errors_total',
      help: 'Errors per route and kind (connect_ECONNREFUSED, idle_timeout, session_cap, target_refused, …)',
      labelNames: ['route', 'kind'],
      registers,
      collect() {
        this.reset();
        for (const [id, s] of routes)
          for (const [kind, n] of Object.entries(s.errors)) this.inc({ route: String(id), kind }, n);
      },
    });
    new Gauge({
      name: 'gatehouse_gateway_sync_connected',
      help: '1 while the event stream to the server is open',
      registers,
      collect() {
        this.set(sync.connected);
      },
    });
    new Gauge({
      name: 'gatehouse_gateway_config_version',
      help: 'Version of the applied configuration (-1: none yet)',
      registers,
      collect() {
        this.set(sync.version);
      },
    });
    new Counter({
      name: 'gatehouse_gateway_config_rejected_total',
      help: 'Config events that failed validation (the last good config stayed)',
      registers,
      collect() {
        this.reset();
        this.inc(sync.rejected);
      },
    });
  }

  route(id: number): RouteStats {
    let stats = this.routes.get(id);
    if (!stats) {
      stats = newRouteStats();
      this.routes.set(id, stats);
    }
    return stats;
  }

  setConnected(connected: boolean): void {
    this.sync.connected = connected ? 1 : 0;
  }

  setVersion(version: number): void {
    this.sync.version = version;
  }

  rejected(): void {
    this.sync.rejected++;
  }
}
