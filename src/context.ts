import type { AdminRole } from './auth/roles.ts';
import type { DataPlane } from './caddy/data-plane.ts';
import type { GatewayRef } from './caddy/snapshot.ts';
import type { Config } from './config/index.ts';
import type { Db, DbOrTx } from './db/index.ts';
import type { Logger } from './logger.ts';

/**
 * Who is acting: recorded in the audit log and checked against the permission table (src/http/permissions.ts).
 * A token's `role` is its scope's role cut to its creator's current role; `userId`/`username` name the creator
 * (absent for tokens the system issued).
 */
export type Actor =
  | { kind: 'admin'; id: number; username: string; role: AdminRole }
  | {
      kind: 'token';
      id: number;
      scope: 'read' | 'write' | 'admin';
      role: AdminRole;
      userId?: number | undefined;
      username?: string | undefined;
    }
  | { kind: 'gateway'; id: number }
  | { kind: 'system' };

export function actorLabel(actor: Actor): string {
  return actor.kind === 'system' ? 'system' : `${actor.kind}:${actor.id}`;
}

/** The admin user behind an actor (a token's creator), for the audit log; undefined for system and gateways. */
export function actorUsername(actor: Actor): string | undefined {
  if (actor.kind === 'admin') return actor.username;
  if (actor.kind === 'token') return actor.username;
  return undefined;
}

/** The admin user id behind an actor (a token's creator), or undefined. */
export function actorUserId(actor: Actor): number | undefined {
  if (actor.kind === 'admin') return actor.id;
  if (actor.kind === 'token') return actor.userId;
  return undefined;
}

/** Everything a service verb may use. Passed in, never imported. */
export interface ServiceContext {
  db: Db;
  config: Config;
  logger: Logger;
  now: () => Date;
  actor: Actor;
  requestId?: string | undefined;
  ip?: string | undefined;
  /** Wiring for config changes; absent in tests that only touch the database. */
  hooks?: ConfigHooks | undefined;
}

export interface ConfigHooks {
  /** Where compiled snapshots go (the gatehouse module in Caddy). */
  dataPlane?: DataPlane | undefined;
  /** Resolves gateways to tunnel addresses for the compiler. */
  loadGateways?: GatewayLoader | undefined;
  /** Caddy's per-install secret, compiled into the route-auth handlers (src/caddy/proxy-secret.ts). */
  proxySecret?: string | undefined;
  /** Called after a config change committed, with its version (the gateway sync publishes). */
  published?: ((version: number) => void) | undefined;
}

/**
 * Gateways' tunnel addresses. The gateways table belongs to the gateway sync; until a loader is registered
 * (src/server.ts does), gateway-targeted routes resolve to nothing and are left out of the snapshot.
 */
export type GatewayLoader = (db: DbOrTx) => Promise<GatewayRef[]>;
