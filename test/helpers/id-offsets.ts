import type { Config } from '../../src/config/index.ts';
import { createDb, type DbHandle, migrateDb } from '../../src/db/index.ts';

/**
 * Where each table's ids start in a test database. Fresh tables all start at 1, so a route, its first user,
 * its first token and the first peer would share id 1, and a query that joins the wrong id still passes
 * (issue 14: the route user lookup compared the users table's own id and only worked where the ids matched).
 * Every table with an AUTOINCREMENT key counts from its own offset instead; tests use the ids the API returns.
 */
export const ID_OFFSETS: Readonly<Record<string, number>> = {
  peers: 1000,
  gateways: 2000,
  routes: 3000,
  route_auth_users: 4000,
  api_tokens: 5000,
  admin_users: 6000,
  audit_log: 7000,
  admin_invites: 8000,
  admin_passkeys: 9000,
  alert_channels: 10000,
  policies: 11000,
  identity_providers: 12000,
  admin_identities: 13000,
  route_share_links: 14000,
  route_app_tokens: 15000,
};

/** Seeds `sqlite_sequence` (AUTOINCREMENT's counter) so the next id of each table is its offset + 1. */
export async function seedIdOffsets(handle: Pick<DbHandle, 'client'>): Promise<void> {
  const tables = await handle.client.execute(
    "select name from sqlite_master where type = 'table' and sql like '%AUTOINCREMENT%'",
  );
  const known = new Set(tables.rows.map((row) => String(row.name)));
  const missing = Object.keys(ID_OFFSETS).filter((name) => !known.has(name));
  if (missing.length > 0) throw new Error(`id offsets for tables without AUTOINCREMENT: ${missing.join(', ')}`);
  await handle.client.batch(
    Object.entries(ID_OFFSETS).flatMap(([name, offset]) => [
      { sql: 'delete from sqlite_sequence where name = ?', args: [name] },
      {
        sql:
          'insert into sqlite_sequence (name, seq) values (?, max(?, coalesce((select max(id) from "' +
          name +
          '"), 0)))',
        args: [name, offset],
      },
    ]),
    'write',
  );
}

/** Creates, migrates and seeds the database a server started with `config` will open, then closes it. */
export async function prepareTestDatabase(config: Pick<Config, 'db'>): Promise<void> {
  const handle = createDb(config.db);
  try {
    await migrateDb(handle);
    await seedIdOffsets(handle);
  } finally {
    handle.close();
  }
}
