import type { GatewayConfig, ListenerStatus } from '@gatehouse/protocol';
import { TcpForwarder, type TcpForwarderOptions, type WolTarget } from './forwarders/tcp.ts';
import { UdpForwarder, type UdpForwarderOptions } from './forwarders/udp.ts';
import type { Logger } from './logger.ts';
import { allowedSource } from './source-filter.ts';
import { newRouteStats, type RouteStats } from './stats.ts';
import { createTargetGuard, isOwnAddress, type TargetGuard } from './target-guard.ts';
import { broadcastFor, WOL_PORT } from './wol.ts';

/** One listening socket the config asks for: a route's port (a range gives one spec per port). */
export interface ListenerSpec {
  key: string;
  routeId: number;
  protocol: 'tcp' | 'udp';
  host: string;
  port: number;
  target: { host: string; port: number; wol?: WolTarget | undefined };
}

type Forwarder = TcpForwarder | UdpForwarder;

interface Entry {
  spec: ListenerSpec;
  forwarder: Forwarder | undefined;
  state: ListenerStatus['state'];
  error?: string | undefined;
}

export interface AgentReconcilerOptions {
  logger: Logger;
  /** Overrides the config's tunnel_ip. */
  listenHost?: string | undefined;
  /** The agent's own `allow_loopback_targets` (a service on the gateway host itself); never the server's say. */
  allowLoopbackTargets?: boolean | undefined;
  /** Every edge's tunnel address (several edges): forwarded traffic from any of them is accepted. */
  edgeTunnelAddresses?: readonly string[] | undefined;
  /** Counters per route, shared with the metrics registry. */
  statsFor?: (routeId: number) => RouteStats;
  /** How long a removed listener's open connections may carry on before they are cut (default 60 s). */
  retireGraceMs?: number;
  /** Magic packet port; 9 except in tests. */
  wolPort?: number;
  tcp?: Partial<Pick<TcpForwarderOptions, 'connectTimeoutMs' | 'idleTimeoutMs' | 'wolRetryMs' | 'wolRetryIntervalMs'>>;
  udp?: Partial<Pick<UdpForwarderOptions, 'idleTimeoutMs' | 'maxSessions'>>;
}

function sameTarget(a: ListenerSpec['target'], b: ListenerSpec['target']): boolean {
  return (
    a.host === b.host &&
    a.port === b.port &&
    a.wol?.mac === b.wol?.mac &&
    a.wol?.broadcast === b.wol?.broadcast &&
    a.wol?.port === b.wol?.port
  );
}

/**
 * Turns a config into listeners, touching only what changed: an unchanged listener keeps its socket and
 * its open connections; a new target on the same port applies to new connections only; a moved port gets
 * its new listener before the old one closes, and the old one's connections drain for a grace period.
 */
export class AgentReconciler {
  private readonly entries = new Map<string, Entry>();
  private readonly retiring = new Set<Forwarder>();
  private readonly retireTimers = new Set<NodeJS.Timeout>();
  private readonly stats = new Map<number, RouteStats>();
  readonly guard: TargetGuard;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  applied: GatewayConfig | undefined;
  /** The config being applied or last applied: its LAN networks and server address rule every dial and accept. */
  private current: GatewayConfig | undefined;

  constructor(private readonly opts: AgentReconcilerOptions) {
    this.guard = createTargetGuard({
      ownPorts: () => this.ownPorts(),
      policy: () => ({ lanNetworks: this.current?.lan_networks, allowLoopback: this.opts.allowLoopbackTargets }),
    });
  }

  /**
   * Whether a forwarded connection or datagram from `address` is accepted: only from the server's tunnel address
   * when the server names it (protocol 2), so a VPN peer cannot skip Caddy's ACL and route login by dialling the
   * forwarding port directly. Others are refused and counted (errors_total{kind="source_refused"}).
   */
  acceptsFrom(address: string | undefined): boolean {
    const edges = this.opts.edgeTunnelAddresses ?? [];
    return allowedSource(address, this.current?.server_tunnel_ip) || edges.some((edge) => allowedSource(address, edge));
  }

  /** Every port we listen on (TCP and UDP alike): a target there would loop back into the agent. */
  ownPorts(): Set<number> {
    const ports = new Set<number>();
    for (const e of this.entries.values()) if (e.forwarder) ports.add(e.forwarder.port);
    for (const f of this.retiring) ports.add(f.port);
    return ports;
  }

  statsFor(routeId: number): RouteStats {
    if (this.opts.statsFor) return this.opts.statsFor(routeId);
    let s = this.stats.get(routeId);
    if (!s) {
      s = newRouteStats();
      this.stats.set(routeId, s);
    }
    return s;
  }

  listenerStatus(): ListenerStatus[] {
    return [...this.entries.values()].map((e) => ({
      route_id: e.spec.routeId,
      port: e.spec.port,
      protocol: e.spec.protocol,
      state: e.state,
      ...(e.error ? { error: e.error } : {}),
    }));
  }

  /** The distinct targets of the applied config, for reachability probes. */
  targets(): { routeId: number; protocol: 'tcp' | 'udp'; host: string; port: number }[] {
    const seen = new Map<string, { routeId: number; protocol: 'tcp' | 'udp'; host: string; port: number }>();
    for (const e of this.entries.values()) {
      const key = `${e.spec.routeId}`;
      if (!seen.has(key)) seen.set(key, { routeId: e.spec.routeId, protocol: e.spec.protocol, ...e.spec.target });
    }
    return [...seen.values()];
  }

  /** The forwarder behind a listener (tests). */
  forwarderAt(protocol: 'tcp' | 'udp', port: number): Forwarder | undefined {
    for (const e of this.entries.values()) if (e.spec.protocol === protocol && e.spec.port === port) return e.forwarder;
    return undefined;
  }

  /** Applies configs one after another, in the order they came. */
  apply(config: GatewayConfig): Promise<void> {
    const run = this.chain.then(() => this.applyNow(config));
    this.chain = run.catch(() => {});
    return run;
  }

  /** Tries again to open listeners that failed (a port that was busy may be free now). */
  retryFailed(): Promise<void> {
    const run = this.chain.then(async () => {
      for (const e of this.entries.values()) if (e.state === 'failed' && !this.stopped) await this.open(e);
    });
    this.chain = run.catch(() => {});
    return run;
  }

  expand(config: GatewayConfig): Map<string, ListenerSpec> {
    // A tunnel_ip that is not ours (0.0.0.0 above all) would open the LAN's services to every network the
    // gateway host is on; only the agent's own listen_host setting may pick another address.
    const fromServer = config.tunnel_ip && isOwnAddress(config.tunnel_ip) ? config.tunnel_ip : '';
    if (!this.opts.listenHost && config.tunnel_ip && !fromServer) {
      this.opts.logger.error(
        { tunnel_ip: config.tunnel_ip },
        'tunnel_ip is not an address of this host; not listening on it',
      );
    }
    const host = this.opts.listenHost ?? fromServer;
    const wolByMac = new Map(config.wol.map((w) => [w.mac.toLowerCase(), w.broadcast]));
    const wolFor = (mac: string | null | undefined, targetHost: string): WolTarget | undefined =>
      mac
        ? {
            mac,
            broadcast: wolByMac.get(mac.toLowerCase()) ?? broadcastFor(targetHost),
            port: this.opts.wolPort ?? WOL_PORT,
          }
        : undefined;
    const specs = new Map<string, ListenerSpec>();
    const add = (spec: Omit<ListenerSpec, 'key' | 'host'>) => {
      const key = `${spec.protocol}/${host}/${spec.port}`;
      specs.set(key, { ...spec, key, host });
    };
    for (const r of config.l4_routes) {
      const end = r.listen_port_end ?? r.listen_port;
      for (let port = r.listen_port; port <= end; port++) {
        const target = { host: r.target_lan_host, port: r.target_lan_port + (port - r.listen_port) };
        // WoL needs a TCP dial to notice the host is down; UDP has no such moment.
        add({
          routeId: r.route_id,
          protocol: r.protocol,
          port,
          target: r.protocol === 'tcp' ? { ...target, wol: wolFor(r.wol_mac, r.target_lan_host) } : target,
        });
      }
    }
    for (const f of config.http_forwards) {
      add({
        routeId: f.route_id,
        protocol: 'tcp',
        port: f.listen_port,
        target: { host: f.target_host, port: f.target_port, wol: wolFor(f.wol_mac, f.target_host) },
      });
    }
    return specs;
  }

  private async applyNow(config: GatewayConfig): Promise<void> {
    if (this.stopped) return;
    this.current = config;
    const desired = this.expand(config);
    // Open and retarget first, close last: a moved port is never without a listener in between.
    for (const spec of desired.values()) {
      const entry = this.entries.get(spec.key);
      if (!entry) {
        const fresh: Entry = { spec, forwarder: undefined, state: 'stopped' };
        this.entries.set(spec.key, fresh);
        await this.open(fresh);
      } else if (!sameTarget(entry.spec.target, spec.target) || entry.spec.routeId !== spec.routeId) {
        entry.spec = spec;
        if (entry.forwarder && entry.forwarder.routeId === String(spec.routeId)) entry.forwarder.setTarget(spec.target);
        else {
          // Another route took this port over: its counters and connections are not the old route's.
          if (entry.forwarder) this.retire(entry.forwarder);
          entry.forwarder = undefined;
          await this.open(entry);
        }
      } else if (entry.state === 'failed') {
        await this.open(entry);
      }
    }
    for (const [key, entry] of this.entries) {
      if (desired.has(key)) continue;
      this.entries.delete(key);
      if (entry.forwarder) this.retire(entry.forwarder);
    }
    this.applied = config;
    this.opts.logger.info(
      {
        version: config.version,
        listeners: this.entries.size,
        failed: this.listenerStatus().filter((l) => l.state === 'failed').length,
      },
      'configuration applied',
    );
  }

  private async open(entry: Entry): Promise<void> {
    const { spec } = entry;
    if (!spec.host) {
      entry.state = 'failed';
      entry.error = 'no tunnel IP of this host known to listen on';
      return;
    }
    const common = {
      routeId: String(spec.routeId),
      listen: { host: spec.host, port: spec.port },
      guard: this.guard,
      acceptsFrom: (address: string | undefined) => this.acceptsFrom(address),
      logger: this.opts.logger,
      stats: this.statsFor(spec.routeId),
    };
    const forwarder =
      spec.protocol === 'tcp'
        ? new TcpForwarder({ ...common, target: spec.target, ...this.opts.tcp })
        : new UdpForwarder({ ...common, target: { host: spec.target.host, port: spec.target.port }, ...this.opts.udp });
    try {
      await forwarder.start();
      entry.forwarder = forwarder;
      entry.state = 'listening';
      entry.error = undefined;
    } catch (err) {
      await forwarder.stop().catch(() => {});
      entry.forwarder = undefined;
      entry.state = 'failed';
      entry.error = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      this.opts.logger.warn(
        { route: spec.routeId, port: spec.port, protocol: spec.protocol, error: entry.error },
        'listener failed',
      );
    }
  }

  private retire(forwarder: Forwarder): void {
    this.retiring.add(forwarder);
    const finish = () => {
      this.retiring.delete(forwarder);
      void forwarder.stop();
    };
    if (forwarder instanceof UdpForwarder) {
      finish();
      return;
    }
    void forwarder.closeListener();
    const timer = setTimeout(() => {
      this.retireTimers.delete(timer);
      finish();
    }, this.opts.retireGraceMs ?? 60_000);
    timer.unref();
    this.retireTimers.add(timer);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.chain;
    for (const t of this.retireTimers) clearTimeout(t);
    this.retireTimers.clear();
    const all = [...[...this.entries.values()].map((e) => e.forwarder), ...this.retiring];
    this.entries.clear();
    this.retiring.clear();
    await Promise.all(all.map((f) => f?.stop()));
  }
}
