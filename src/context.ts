import type { Config } from './config/index.ts';
import type { Db } from './db/index.ts';
import type { Logger } from './logger.ts';

/** Who is acting: recorded in the audit log and checked by scope guards. */
export type Actor =
  | { kind: 'admin'; id: number; username: string }
  | { kind: 'token'; id: number; scope: 'read' | 'write' | 'admin' }
  | { kind: 'gateway'; id: number }
  | { kind: 'system' };

export function actorLabel(actor: Actor): string {
  return actor.kind === 'system' ? 'system' : `${actor.kind}:${actor.id}`;
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
}
