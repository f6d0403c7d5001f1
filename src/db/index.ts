import { fileURLToPath } from 'node:url';
import { type Client, createClient } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { withDeadlines } from './deadline.ts';
import { secureDatabaseFiles } from './files.ts';
import * as schema from './schema/index.ts';
import { type DbCallKind, DEFAULT_WRITE_WAIT_MS, queueWrites } from './write-queue.ts';

export type { DbCallKind };

export type Db = LibSQLDatabase<typeof schema>;
/** The handle a service verb writes with: the transaction, never the outer database. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export { schema };

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

export interface DbHandle {
  db: Db;
  client: Client;
  close(): void;
}

export interface DbOptions {
  url: string;
  authToken?: string | undefined;
  /** How long a write may wait for its turn before it answers 503 `database_busy`. */
  writeWaitMs?: number | undefined;
  /** Every call answers within this or fails with 503 `unavailable` (src/db/deadline.ts). */
  deadlineMs?: number | undefined;
  /** An embedded replica of this libSQL server (edge role, src/db/edge-replica.ts). */
  syncUrl?: string | undefined;
  syncIntervalSeconds?: number | undefined;
  /** Writes refused with 503 `unavailable` (an edge whose primary is down). */
  readOnly?: (() => boolean) | undefined;
  /** Refuses a write before it starts (an edge whose primary does not answer; src/db/deadline.ts). */
  beforeWrite?: (() => Promise<void>) | undefined;
  /** Told how long each database call took (the control plane's /metrics). */
  observe?: ((kind: DbCallKind, seconds: number) => void) | undefined;
}

/**
 * Opens the database: an embedded libSQL file (`file:…`) by default, a libSQL server (`libsql://`,
 * `http(s)://`) that behaves the same, or with `syncUrl` an embedded replica of such a server. Nothing is
 * migrated here; call `migrateDb` (never on a replica).
 */
export function createDb(opts: DbOptions): DbHandle {
  secureDatabaseFiles(opts.url);
  const raw = createClient({
    url: opts.url,
    authToken: opts.authToken,
    ...(opts.syncUrl ? { syncUrl: opts.syncUrl, syncInterval: opts.syncIntervalSeconds } : {}),
  });
  return wrapClient(raw, opts);
}

/** The deadline under the write queue, the queue under drizzle: see src/db/deadline.ts and write-queue.ts. */
export function wrapClient(raw: Client, opts: Omit<DbOptions, 'url'>): DbHandle {
  const timed = withDeadlines(raw, {
    deadlineMs: opts.deadlineMs ?? DEFAULT_DB_DEADLINE_MS,
    readOnly: opts.readOnly,
    beforeWrite: opts.beforeWrite,
  });
  // One write queue for the whole process (src/db/write-queue.ts): transactions and single statements alike.
  const client = queueWrites(timed, { maxWaitMs: opts.writeWaitMs ?? DEFAULT_WRITE_WAIT_MS, observe: opts.observe });
  const db = drizzle(client, { schema, casing: 'snake_case' });
  return { db, client, close: () => raw.close() };
}

export const DEFAULT_DB_DEADLINE_MS = 5_000;

export async function migrateDb(handle: DbHandle): Promise<void> {
  // WAL lets the dashboard read while a write transaction runs. No busy_timeout: SQLite's busy wait would
  // block the event loop (the driver is synchronous); the write queue waits asynchronously instead.
  if (handle.client.protocol === 'file') {
    await handle.client.execute('PRAGMA journal_mode = WAL');
  }
  await handle.client.execute('PRAGMA foreign_keys = ON');
  await migrate(handle.db, { migrationsFolder: MIGRATIONS_DIR });
}
