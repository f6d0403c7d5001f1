import type { Config } from '../config/index.ts';
import type { Actor, ConfigHooks, ServiceContext } from '../context.ts';
import type { Db } from '../db/index.ts';
import type { Logger } from '../logger.ts';
import type { PeerDeps } from '../services/peers/deps.ts';
import type { GatewayConfigSource } from '../sync/gateway-config-source.ts';
import type { GatewayHub } from '../sync/gateway-hub.ts';

export interface HealthReport {
  status: 'ok' | 'degraded';
  db: { state: 'ok' | 'error'; error?: string };
  caddy: { state: string; pid?: number | undefined; restarts?: number; detail?: string | undefined };
  wireguard: { state: string; interface?: string; implementation?: string | undefined; detail?: string | undefined };
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
}

export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    actor: Actor;
    /** Set for dashboard-session requests: the CSRF token their unsafe requests must echo. */
    csrfToken?: string;
    ctx: ServiceContext;
  };
}
