import type { Config } from '../config/index.ts';
import type { Actor, ServiceContext } from '../context.ts';
import type { Db } from '../db/index.ts';
import type { Logger } from '../logger.ts';

export interface HealthReport {
  status: 'ok' | 'degraded';
  db: { state: 'ok' | 'error'; error?: string };
  caddy: { state: string; pid?: number | undefined; restarts?: number; detail?: string | undefined };
  wireguard: { state: string; interface?: string; detail?: string | undefined };
  config?: { version: number; applied_version: number | null; pending: boolean };
}

/** What the HTTP layer is given by the server (config passed in, nothing imported). */
export interface AppDeps {
  db: Db;
  config: Config;
  logger: Logger;
  now: () => Date;
  health: () => Promise<HealthReport>;
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
