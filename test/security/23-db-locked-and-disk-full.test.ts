// Issue 13, faults: the database locked by another process for 10 s, and a full disk during a write, give a
// clear 503 and lose nothing. Real: the Hono app, the services, a libSQL file database, a second process holding
// `BEGIN EXCLUSIVE` on the same file, and (as root) a small tmpfs that the test fills. Simulated: nothing.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createDb, migrateDb } from '../../src/db/index.ts';
import { createToken } from '../../src/services/tokens/create.ts';
import { silentLogger, tempDir } from '../helpers/env.ts';

const okHealth = async () =>
  ({ status: 'ok', db: { state: 'ok' }, caddy: { state: 'disabled' }, wireguard: { state: 'unavailable' } }) as const;

/** The app over a database in `dir`, with an admin token. */
async function appIn(dir: string) {
  const config = loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_ADMIN_PASSWORD: 'correct horse battery' });
  const handle = createDb(config.db);
  await migrateDb(handle);
  const ctx = {
    db: handle.db,
    config,
    logger: silentLogger,
    now: () => new Date(),
    actor: { kind: 'system' as const },
  };
  const token = (await createToken({ ctx, input: { name: 'admin', scope: 'admin' } })).token;
  const app = createApp({ db: handle.db, config, logger: silentLogger, now: () => new Date(), health: okHealth });
  const call = (method: string, url: string, body?: unknown) =>
    app.request(url, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const tokenNames = async () => {
    const res = await call('GET', '/api/v1/tokens');
    const body = (await res.json()) as { data?: { name: string }[] } | { name: string }[];
    return (Array.isArray(body) ? body : (body.data ?? [])).map((t) => t.name);
  };
  return { config, handle, call, tokenNames };
}

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A second process that opens the same database file and holds `BEGIN EXCLUSIVE` for `ms`. */
function lockFromAnotherProcess(dbFile: string, ms: number): Promise<ChildProcess> {
  const script = `
    const { createClient } = await import('@libsql/client');
    const c = createClient({ url: 'file:' + process.argv[1] });
    const tx = await c.transaction('write');
    await tx.execute('INSERT INTO settings (key, value) VALUES (\\'lock-holder\\', \\'1\\') ON CONFLICT DO NOTHING').catch(() => {});
    process.stdout.write('locked\\n');
    setTimeout(async () => { await tx.rollback(); c.close(); process.stdout.write('released\\n'); }, Number(process.argv[2]));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, dbFile, String(ms)], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(() => void child.kill());
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('locked')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
  });
}

describe('faults: database locked by another process', () => {
  it('answers 503 database_busy with Retry-After after a bounded wait, serves reads, and loses nothing', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const t = await appIn(dir);
    cleanups.push(() => t.handle.close());
    const holder = await lockFromAnotherProcess(path.join(dir, 'gatehouse.db'), 10_000);
    const released = new Promise((r) => holder.stdout!.on('data', (c: Buffer) => c.includes('released') && r(null)));

    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 4 }, async (_, i) => {
        const res = await t.call('POST', '/api/v1/tokens', { name: `during-${i}`, scope: 'read' });
        return {
          name: `during-${i}`,
          status: res.status,
          retry: res.headers.get('retry-after'),
          body: await res.json(),
        };
      }),
    );
    const waited = Date.now() - started;
    for (const r of results) {
      expect(r.status, JSON.stringify(r.body)).toBe(503);
      expect(r.body).toMatchObject({ error: { code: 'database_busy' } });
      expect(Number(r.retry)).toBeGreaterThan(0);
    }
    // Bounded: well before the other process lets go, and not at once.
    expect(waited).toBeLessThan(9_000);
    expect(waited).toBeGreaterThan(1_000);
    // Reads keep working while the lock is held.
    expect((await t.call('GET', '/api/v1/tokens')).status).toBe(200);

    await released;
    const after = await t.call('POST', '/api/v1/tokens', { name: 'after', scope: 'read' });
    expect(after.status, JSON.stringify(await after.clone().json())).toBe(201);
    const names = await t.tokenNames();
    expect(names).toContain('after');
    for (const r of results) expect(names).not.toContain(r.name);
  }, 60_000);
});

describe('faults: full disk during a write', () => {
  it('answers 503 storage_full, applies nothing, keeps serving reads and recovers when space returns', async (ctx) => {
    if (process.getuid?.() !== 0) {
      console.log('skipped: mounting a small tmpfs needs root');
      ctx.skip();
    }
    const { dir: base, cleanup } = tempDir('gatehouse-full-');
    cleanups.push(cleanup);
    const mount = path.join(base, 'mnt');
    mkdirSync(mount);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mount]);
    } catch (err) {
      console.log(`skipped: cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]})`);
      ctx.skip();
    }
    cleanups.push(() => {
      execFileSync('umount', ['-l', mount]);
    });
    const t = await appIn(path.join(mount, 'data'));
    cleanups.push(() => t.handle.close());
    const acknowledged: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.call('POST', '/api/v1/tokens', { name: `before-${i}`, scope: 'read' });
      expect(res.status).toBe(201);
      acknowledged.push(`before-${i}`);
    }

    // Fill the disk to the last block.
    const filler = path.join(mount, 'filler');
    try {
      writeFileSync(filler, Buffer.alloc(8 * 1024 * 1024));
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    const refused: string[] = [];
    let full: { status: number; body: unknown; retry: string | null } | undefined;
    for (let i = 0; i < 200 && !full; i++) {
      const name = `during-${i}-${'x'.repeat(80)}`;
      const res = await t.call('POST', '/api/v1/tokens', { name: name.slice(0, 100), scope: 'read' });
      if (res.status === 201) acknowledged.push(name.slice(0, 100));
      else {
        refused.push(name.slice(0, 100));
        full = { status: res.status, body: await res.json(), retry: res.headers.get('retry-after') };
      }
    }
    expect(full, 'no write failed on a full disk').toBeDefined();
    expect(full!.status, JSON.stringify(full!.body)).toBe(503);
    expect(full!.body).toMatchObject({ error: { code: 'storage_full' } });
    expect(Number(full!.retry)).toBeGreaterThan(0);
    // Reads keep working on the full disk.
    expect((await t.call('GET', '/api/v1/tokens')).status).toBe(200);

    rmSync(filler);
    const after = await t.call('POST', '/api/v1/tokens', { name: 'after', scope: 'read' });
    expect(after.status).toBe(201);
    acknowledged.push('after');
    const names = await t.tokenNames();
    for (const name of acknowledged) expect(names).toContain(name);
    for (const name of refused) expect(names).not.toContain(name);
  }, 60_000);
});
