import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Client, createClient } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import * as schema from './schema/index.ts';

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

/**
 * Opens the database: an embedded libSQL file (`file:…`) by default, or a libSQL server (`libsql://`,
 * `http(s)://`) that behaves the same. Nothing is migrated here; call `migrateDb`.
 */
export function createDb(opts: { url: string; authToken?: string | undefined }): DbHandle {
  if (opts.url.startsWith('file:')) {
    mkdirSync(path.dirname(opts.url.slice('file:'.length)), { recursive: true });
  }
  const client = createClient({ url: opts.url, authToken: opts.authToken });
  const db = drizzle(client, { schema, casing: 'snake_case' });
  serializeTransactions(db);
  return { db, client, close: () => client.close() };
}

export async function migrateDb(handle: DbHandle): Promise<void> {
  // WAL lets the dashboard read while a write transaction runs; busy_timeout rides out short lock waits.
  if (handle.client.protocol === 'file') {
    await handle.client.execute('PRAGMA journal_mode = WAL');
    await handle.client.execute('PRAGMA busy_timeout = 5000');
  }
  await handle.client.execute('PRAGMA foreign_keys = ON');
  await migrate(handle.db, { migrationsFolder: MIGRATIONS_DIR });
}

/**
 * One write transaction at a time in this process. libSQL starts transactions with BEGIN IMMEDIATE and a
 * second writer fails at once with SQLITE_BUSY (a busy wait would block the event loop: the driver is
 * synchronous), so without this, concurrent API writes fail instead of waiting their turn. A queue is the
 * honest model of SQLite's single writer. Never call `db.transaction` from inside a transaction callback
 * (use the `tx` handle): that would wait for itself.
 */
function serializeTransactions(db: Db): void {
  const original = db.transaction.bind(db);
  let tail: Promise<unknown> = Promise.resolve();
  db.transaction = ((fn, config) => {
    const run = tail.then(() => original(fn, config));
    tail = run.catch(() => undefined);
    return run;
  }) as Db['transaction'];
}
