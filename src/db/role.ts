import type { Config } from '../config/index.ts';
import type { Logger } from '../logger.ts';
import { openEdgeDb } from './edge-replica.ts';
import { createDb, type DbHandle, type DbOptions, migrateDb } from './index.ts';

export type ServerDbHandle = DbHandle & {
  /** Edge role only: whether the replica follows the primary or serves its file read-only. */
  mode?: () => 'live' | 'read-only';
};

/**
 * The database as `gatehouse server` opens it for its role (docs/scaling.md): the primary opens the configured
 * database (a file, or the primary sqld over http(s)://) and migrates it; an edge opens an embedded replica of
 * the primary at GATEHOUSE_DB_SYNC_URL and never migrates or sets journal pragmas.
 */
export async function openServerDb(
  config: Config,
  logger: Logger,
  observe?: DbOptions['observe'],
): Promise<ServerDbHandle> {
  if (config.role === 'edge') {
    if (!config.db.syncUrl) throw new Error('GATEHOUSE_DB_SYNC_URL is required with GATEHOUSE_ROLE=edge');
    const handle = await openEdgeDb({ ...config.db, syncUrl: config.db.syncUrl, logger });
    logger.info({ sync_url: config.db.syncUrl, mode: handle.mode() }, 'edge: following the primary database');
    return handle;
  }
  const handle = createDb({ ...config.db, observe });
  await migrateDb(handle);
  return handle;
}

/** `gatehouse migrate` and other one-shot writers: the schema is the primary's, never an edge's. */
export function assertPrimary(config: Config, command: string): void {
  if (config.role === 'edge') {
    throw new Error(`${command} runs against the primary (GATEHOUSE_ROLE=primary); this is an edge`);
  }
}
