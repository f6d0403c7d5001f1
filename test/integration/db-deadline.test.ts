// Issue 21: a deadline on every database call. Real: the libSQL HTTP client talking to a loopback TCP server
// that accepts and never answers (a primary that hangs, as a write through a replica does while the primary is
// down) or that refuses connections; the Hono app over that database; an edge opening its replica file
// read-only. Simulated: the hanging primary (a socket that stays silent), and the edge's probe of the primary.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { withDeadlines } from '../../src/db/deadline.ts';
import { openEdgeDb } from '../../src/db/edge-replica.ts';
import { createDb, migrateDb } from '../../src/db/index.ts';
import { UnavailableError } from '../../src/errors.ts';
import { createToken } from '../../src/services/tokens/create.ts';
import { silentLogger, tempDir } from '../helpers/env.ts';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A "primary" on loopback that takes connections and never says a word. */
async function silentServer(): Promise<{ url: string }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}` };
}

/** A loopback port nobody listens on. */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

describe('a deadline on every database call', () => {
  it('a write to a primary that never answers fails with 503 unavailable within the deadline', async () => {
    const { url } = await silentServer();
    const handle = createDb({ url, deadlineMs: 400 });
    cleanups.push(() => handle.close());
    const started = Date.now();
    const err = await handle.client.execute("INSERT INTO settings(key, value) VALUES ('a', 'b')").catch((e) => e);
    const took = Date.now() - started;
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).code).toBe('unavailable');
    expect(took).toBeGreaterThanOrEqual(350);
    expect(took).toBeLessThan(1500);
    // The queue was given back: the next write gets its own deadline, not the queue's wait (503 database_busy).
    const again = await handle.client.execute('UPDATE settings SET value = 1').catch((e) => e);
    expect(again).toBeInstanceOf(UnavailableError);
  });

  it('reads and transactions get the deadline too', async () => {
    const { url } = await silentServer();
    const handle = createDb({ url, deadlineMs: 300 });
    cleanups.push(() => handle.close());
    await expect(handle.client.execute('SELECT 1')).rejects.toBeInstanceOf(UnavailableError);
    const started = Date.now();
    const err = await handle.db.transaction(async (tx) => tx.run('SELECT 1' as never)).catch((e: unknown) => e);
    // drizzle wraps what the client threw; the HTTP layer unwraps it (src/http/errors.ts).
    const cause = err instanceof UnavailableError ? err : (err as { cause?: unknown }).cause;
    expect(cause).toBeInstanceOf(UnavailableError);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('a primary that refuses connections answers 503 unavailable, not 500', async () => {
    const url = await closedPort();
    const handle = createDb({ url, deadlineMs: 2000 });
    cleanups.push(() => handle.close());
    const err = await handle.client.execute('SELECT 1').catch((e) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toMatch(/cannot be reached/);
  });

  it('the API answers 503 with the one error model while the primary hangs', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const config = loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_ADMIN_PASSWORD: 'correct horse battery' });
    const local = createDb(config.db);
    await migrateDb(local);
    const ctx = {
      db: local.db,
      config,
      logger: silentLogger,
      now: () => new Date(),
      actor: { kind: 'system' as const },
    };
    const token = (await createToken({ ctx, input: { name: 'admin', scope: 'admin' } })).token;
    local.close();
    // The same database, its calls now behind a client whose every call hangs.
    const { url } = await silentServer();
    const hanging = createDb({ url, deadlineMs: 500 });
    cleanups.push(() => hanging.close());
    const health = async () =>
      ({
        status: 'ok',
        db: { state: 'ok' },
        caddy: { state: 'disabled' },
        wireguard: { state: 'unavailable' },
      }) as const;
    const app = createApp({ db: hanging.db, config, logger: silentLogger, now: () => new Date(), health });
    const started = Date.now();
    const res = await app.request('/api/v1/tokens', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', scope: 'read' }),
    });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unavailable');
  });

  it('withDeadlines refuses writes at once when read-only, and lets reads through', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const handle = createDb({ url: `file:${dir}/x.db` });
    cleanups.push(() => handle.close());
    await handle.client.execute('CREATE TABLE t (v INTEGER)');
    const ro = withDeadlines(handle.client, { deadlineMs: 1000, readOnly: () => true });
    expect((await ro.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(0);
    await expect(ro.execute('INSERT INTO t VALUES (1)')).rejects.toBeInstanceOf(UnavailableError);
    await expect(ro.transaction('write')).rejects.toBeInstanceOf(UnavailableError);
  });

  it('withDeadlines asks beforeWrite first: a refused write never reaches the driver, reads do not ask', async () => {
    // An edge's forwarded write runs inside the synchronous driver: against a hung primary it would block the
    // event loop past any deadline, so the edge's probe (src/db/edge-replica.ts) must run before it.
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const handle = createDb({ url: `file:${dir}/x.db` });
    cleanups.push(() => handle.close());
    await handle.client.execute('CREATE TABLE t (v INTEGER)');
    let asked = 0;
    const gated = withDeadlines(handle.client, {
      deadlineMs: 1000,
      beforeWrite: async () => {
        asked++;
        throw new UnavailableError('the primary did not answer');
      },
    });
    expect((await gated.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(0);
    expect(asked).toBe(0);
    await expect(gated.execute('INSERT INTO t VALUES (1)')).rejects.toBeInstanceOf(UnavailableError);
    await expect(gated.batch(['INSERT INTO t VALUES (2)'], 'write')).rejects.toBeInstanceOf(UnavailableError);
    await expect(gated.transaction('write')).rejects.toBeInstanceOf(UnavailableError);
    expect(asked).toBe(3);
    expect((await handle.client.execute('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(0);
  });
});

describe('an edge whose primary is down at start', () => {
  it('opens its replica file read-only: reads go on, writes answer 503 unavailable', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    // The replica file as a previous run left it (here: a plain libSQL file with the schema and a row).
    const seed = createDb({ url: `file:${dir}/replica.db` });
    await migrateDb(seed);
    await seed.client.execute('CREATE TABLE edge_probe (v TEXT)');
    await seed.client.execute("INSERT INTO edge_probe VALUES ('yes')");
    seed.close();
    const edge = await openEdgeDb({
      url: `file:${dir}/replica.db`,
      syncUrl: 'http://127.0.0.1:1',
      deadlineMs: 500,
      logger: silentLogger,
      primaryUp: async () => false,
      retryMs: 60_000,
    });
    cleanups.push(() => edge.close());
    expect(edge.mode()).toBe('read-only');
    const rows = await edge.client.execute('SELECT v FROM edge_probe');
    expect(rows.rows[0]!.v).toBe('yes');
    await expect(edge.client.execute("UPDATE edge_probe SET v = 'no'")).rejects.toBeInstanceOf(UnavailableError);
    await expect(edge.db.transaction(async () => undefined)).rejects.toBeInstanceOf(UnavailableError);
  });

  it('without a replica file it says what to do instead of starting empty', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    await expect(
      openEdgeDb({
        url: `file:${dir}/none/replica.db`,
        syncUrl: 'http://127.0.0.1:1',
        logger: silentLogger,
        primaryUp: async () => false,
      }),
    ).rejects.toThrow(/no replica file yet/);
  });
});
