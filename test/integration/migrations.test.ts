// Real: drizzle migrations applied to a libSQL file in a temp dir. Simulated: nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { createDb, migrateDb } from '../../src/db/index.ts';
import { tempDir } from '../helpers/env.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('migrations', () => {
  it('create every foundation table in a fresh file database, and running them again changes nothing', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const url = `file:${dir}/nested/dir/gatehouse.db`;
    const first = createDb({ url });
    await migrateDb(first);
    const tables = await first.client.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    const names = tables.rows.map((r) => String(r.name));
    for (const t of ['admin_users', 'admin_sessions', 'api_tokens', 'settings', 'audit_log'])
      expect(names).toContain(t);
    await first.client.execute("INSERT INTO settings (key, value, updated_at) VALUES ('k', '\"v\"', 0)");
    first.close();

    // A second process start: migrations are idempotent and the data survives.
    const second = createDb({ url });
    await migrateDb(second);
    const applied = await second.client.execute('SELECT count(*) AS n FROM __drizzle_migrations');
    const rows = await second.client.execute("SELECT value FROM settings WHERE key = 'k'");
    expect(Number(applied.rows[0]!.n)).toBeGreaterThan(0);
    expect(rows.rows[0]!.value).toBe('"v"');
    second.close();
  });

  it('uses WAL journaling on file databases', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const handle = createDb({ url: `file:${dir}/wal.db` });
    await migrateDb(handle);
    const mode = await handle.client.execute('PRAGMA journal_mode');
    expect(String(mode.rows[0]![0]).toLowerCase()).toBe('wal');
    handle.close();
  });
});
