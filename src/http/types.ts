import type { Config } from '../config/index.ts';
import type { Actor, ConfigHooks, ServiceContext } from '../context.ts';
import type { Db } from '../db/index.ts';
import type { Logger } from '../logger.ts';
import type { AccessLogLive } from '../services/access-log/live.ts';
import type { DeliveryQueue } from '../services/alerts/queue.ts';
import type { ControlPlaneMetrics } from '../services/metrics/control-plane.ts';
import type { PeerDeps } from '../services/peers/deps.ts';
import type { GatewayConfigSource } from '../sync/gateway-config-source.ts';
import type { GatewayHub } from '../sync/gateway-hub.ts';

export interface HealthReport {
  status: 'ok' | 'degraded';
  db: { state: 'ok' | 'error'; error?: string };
  caddy: { state: string; pid?: number | undefined; restarts?: number; detail?: string | undefined };
  wireguard: {
    state: string;
    interface?: string;
    implementation?: string | undefined;
    detail?: string | undefined;
    /** Forwarding and masquerading for full-tunnel peers (src/wireguard/forwarding.ts). */
    forwarding?: { state: string; detail?: string | undefined } | undefined;
  };
  config?: { version: number; applied_version: number | null; pending: boolean };
}

/** What the HTTP layer is given by the server (config passed in, nothing imported). */
export interface AppDeps {
  db: Db;
  config: Config;
  logger: Logger;
  now: () => Date;
  health: () => Promise<HealthReport>;
  /** WireGuard runtime and peer hooks; absent: peers are stored but not applied (see services/peers/offline.ts). */
  peers?: PeerDeps | undefined;
  /** Data plane and gateway sync wiring, handed to every service call. */
  hooks?: ConfigHooks | undefined;
  /** The gateways' event streams; absent: /api/v1/gateway/* answers 503 (tests of other resources). */
  gatewaySync?: { hub: GatewayHub; source: GatewayConfigSource } | undefined;
  /**
   * Caddy's per-install secret (src/caddy/proxy-secret.ts): a request that carries it came through Caddy, and
   * only then are its client-address and scheme headers believed. Absent: never (tests without Caddy).
   */
  proxySecret?: string | undefined;
  /** Alert deliveries (the send-test button queues here); absent: tests queue nothing. */
  alerts?: { queue: DeliveryQueue } | undefined;
  /** The access log's live tail; absent: the stream answers 503 (no Caddy, or tests without it). */
  accessLog?: { live: AccessLogLive } | undefined;
  /** The control plane's Prometheus registry (`/metrics`); absent: no request metrics, no /metrics. */
  metrics?: ControlPlaneMetrics | undefined;
}

/** Who is on the other end of a request, as far as the control plane can trust it (src/http/client.ts). */
export interface ClientOrigin {
  /** The client's address: Caddy's client_ip when Caddy forwarded the request, else the socket's peer. */
  ip: string | undefined;
  /** The client reached us over HTTPS (through Caddy); decides the session cookie's name and Secure. */
  https: boolean;
  /** The request carried Caddy's secret. */
  viaCaddy: boolean;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    actor: Actor;
    /** Set for dashboard-session requests: the CSRF token their unsafe requests must echo. */
    csrfToken?: string;
    ctx: ServiceContext;
    client: ClientOrigin;
  };
}
