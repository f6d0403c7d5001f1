import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createApp } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config/index.ts';
import type { ServiceContext } from '../../src/context.ts';
import { createDb, type DbHandle, migrateDb } from '../../src/db/index.ts';
import type { AppDeps, HealthReport } from '../../src/http/types.ts';
import { createToken } from '../../src/services/tokens/create.ts';
import { seedIdOffsets } from './id-offsets.ts';

export const silentLogger = pino({ level: 'silent' });

export function tempDir(prefix = 'gatehouse-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A migrated libSQL database in a temp file (never :memory:, which loses data across transactions); each
 * table hands out ids from its own offset (test/helpers/id-offsets.ts).
 */
export async function testDb(): Promise<DbHandle & { dir: string; config: Config; cleanup: () => void }> {
  const { dir, cleanup } = tempDir();
  const config = loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_ADMIN_PASSWORD: 'correct horse battery' });
  const handle = createDb(config.db);
  await migrateDb(handle);
  await seedIdOffsets(handle);
  return {
    ...handle,
    dir,
    config,
    cleanup: () => {
      handle.close();
      cleanup();
    },
  };
}

export function systemContext(handle: { db: DbHandle['db']; config: Config }, now = () => new Date()): ServiceContext {
  return { db: handle.db, config: handle.config, logger: silentLogger, now, actor: { kind: 'system' } };
}

const okHealth = async (): Promise<HealthReport> => ({
  status: 'ok',
  db: { state: 'ok' },
  caddy: { state: 'disabled' },
  wireguard: { state: 'unavailable' },
});

/** The Hono app over a temp database, with a clock the test can move. */
export async function testApp(
  opts: { now?: () => Date; peers?: AppDeps['peers']; proxySecret?: string; alerts?: AppDeps['alerts'] } = {},
) {
  const handle = await testDb();
  const now = opts.now ?? (() => new Date());
  const app = createApp({
    db: handle.db,
    config: handle.config,
    logger: silentLogger,
    now,
    health: okHealth,
    peers: opts.peers,
    proxySecret: opts.proxySecret,
    alerts: opts.alerts,
  });
  const tokenFor = async (scope: 'read' | 'write' | 'admin', extra: { expires_at?: string } = {}) =>
    (await createToken({ ctx: systemContext(handle, now), input: { name: `test ${scope}`, scope, ...extra } })).token;
  const call = (
    method: string,
    url: string,
    opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) =>
    app.request(url, {
      method,
      headers: {
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...opts.headers,
      },
      body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    });
  return { ...handle, app, tokenFor, call };
}
