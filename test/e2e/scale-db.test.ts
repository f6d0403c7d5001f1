// Issue 21: the replicated database. Real: sqld (built by scripts/build-sqld.sh at its pinned commit) as a
// primary and a standby on loopback, Gatehouse's schema migrated over http://, two edges opening embedded
// replicas of the primary (src/db/edge-replica.ts) with the Hono app over each, N writer processes, the
// promotion command (src/db/promote.ts). Simulated: nothing; Caddy, WireGuard and keepalived are covered by
// test/e2e/edge-pair.test.ts and test/e2e/edges.test.ts. Runs wherever scripts/build-sqld.sh has built sqld
// (scripts/install.sh --test builds it in CI); skips with the reason printed when no sqld binary exists.
// Prints: replica lag (primary → standby, primary → edge), the 503 deadline, writes after promotion.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config/index.ts';
import { selectAllAsJson } from '../../src/db/bulk-read.ts';
import { type EdgeDbHandle, openEdgeDb } from '../../src/db/edge-replica.ts';
import { createDb, type DbHandle, migrateDb } from '../../src/db/index.ts';
import { promoteStandby } from '../../src/db/promote.ts';
import { routes } from '../../src/db/schema/index.ts';
import { createToken } from '../../src/services/tokens/create.ts';
import { ROOT } from '../helpers/caddy.ts';
import { silentLogger, tempDir } from '../helpers/env.ts';
import { freePort } from '../helpers/net.ts';
import { findSqld, type Sqld, startSqld as startSqldIn, stopProcess, waitUntil } from './support/sqld.ts';

const found = findSqld();
const sqld = found.sqld;
const reason = found.reason;
if (reason) process.stdout.write(`scale-db: skipped: ${reason}\n`);

const DEADLINE_MS = 1500;
const report = (line: string) => process.stdout.write(`scale-db: ${line}\n`);
const startSqld = (dir: string, primaryGrpc?: string) => startSqldIn(sqld!, dir, primaryGrpc ? { primaryGrpc } : {});
const stop = (s: Sqld, signal: NodeJS.Signals) => stopProcess(s.proc, signal);

describe.skipIf(reason !== undefined)('sqld primary, standby and edges', () => {
  const { dir, cleanup } = tempDir('gatehouse-scale-');
  let primary: Sqld;
  let standby: Sqld;
  let config: Config;
  let onPrimary: DbHandle;
  const edges: EdgeDbHandle[] = [];
  let token: string;
  const acknowledged: string[] = [];
  let warm: NodeJS.Timeout | undefined;
  let warmReader: DbHandle | undefined;

  beforeAll(async () => {
    primary = await startSqld(path.join(dir, 'primary.sqld'));
    standby = await startSqld(path.join(dir, 'standby.sqld'), primary.grpc);
    config = loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_ADMIN_PASSWORD: 'correct horse battery' });
    onPrimary = createDb({ url: primary.http, deadlineMs: DEADLINE_MS });
    await migrateDb(onPrimary);
    const ctx = {
      db: onPrimary.db,
      config,
      logger: silentLogger,
      now: () => new Date(),
      actor: { kind: 'system' as const },
    };
    token = (await createToken({ ctx, input: { name: 'admin', scope: 'admin' } })).token;
    for (const name of ['a', 'b']) {
      edges.push(
        await openEdgeDb({
          url: `file:${path.join(dir, `edge-${name}.db`)}`,
          syncUrl: primary.http,
          syncIntervalSeconds: 0.2,
          deadlineMs: DEADLINE_MS,
          logger: silentLogger,
        }),
      );
    }
    // An idle sqld replica holds no data: the standby is kept warm by reads (docs/scaling.md).
    warmReader = createDb({ url: standby.http, deadlineMs: DEADLINE_MS });
    const standbyReader = warmReader;
    warm = setInterval(() => void standbyReader.client.execute('SELECT count(*) FROM api_tokens').catch(() => {}), 250);
  }, 120_000);

  afterAll(async () => {
    if (warm) clearInterval(warm);
    warmReader?.close();
    for (const e of edges) e.close();
    onPrimary?.close();
    for (const s of [primary, standby]) if (s) await stop(s, 'SIGKILL');
    cleanup();
  });

  const appOver = (db: DbHandle['db']) =>
    createApp({
      db,
      config,
      logger: silentLogger,
      now: () => new Date(),
      health: async () =>
        ({
          status: 'ok',
          db: { state: 'ok' },
          caddy: { state: 'disabled' },
          wireguard: { state: 'unavailable' },
        }) as const,
    });
  const call = (app: ReturnType<typeof appOver>, method: string, url: string, body?: unknown) =>
    app.request(url, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('an edge opened on a fresh directory answers from its first query (no "no such table")', async () => {
    const fresh = await openEdgeDb({
      url: `file:${path.join(dir, 'fresh-edge', 'replica.db')}`,
      syncUrl: primary.http,
      syncIntervalSeconds: 0.2,
      deadlineMs: DEADLINE_MS,
      logger: silentLogger,
    });
    try {
      const rows = (await fresh.client.execute('SELECT count(*) AS n FROM api_tokens')).rows;
      expect(Number(rows[0]!.n)).toBeGreaterThan(0);
    } finally {
      fresh.close();
    }
  });

  it("the snapshot's whole-table read over http:// stays within sqld's response size limit", async () => {
    // 3,000 routes of about 700 bytes of JSON each against a 1 MB answer limit: one read is too large
    // (RESPONSE_TOO_LARGE, as 20,000 routes were at sqld's default 10 MB); pages of 1,000 rows fit.
    const small = await startSqldIn(sqld!, path.join(dir, 'small-answers.sqld'), {
      args: ['--max-response-size', '1MB'],
    });
    const db = createDb({ url: small.http, deadlineMs: 20_000 });
    try {
      await migrateDb(db);
      const at = new Date();
      const rows = Array.from({ length: 3000 }, (_, i) => ({
        type: 'http' as const,
        name: `bulk-${i}`,
        domain: `bulk-${i}.scale.test`,
        targetKind: 'direct' as const,
        targetHost: '127.0.0.1',
        targetPort: 9,
        customHeaders: [],
        upstreams: [],
        createdAt: at,
        updatedAt: at,
      }));
      for (let i = 0; i < rows.length; i += 500) await db.db.insert(routes).values(rows.slice(i, i + 500));
      expect(await selectAllAsJson(db.db, routes)).toHaveLength(3000);
    } finally {
      db.close();
      await stop(small, 'SIGKILL');
    }
  }, 120_000);

  it('a write through an edge reaches the primary, the standby and the other edge (replica lag)', async () => {
    const started = Date.now();
    const res = await call(appOver(edges[0]!.db), 'POST', '/api/v1/tokens', { name: 'through-edge-a', scope: 'read' });
    expect(res.status).toBe(201);
    acknowledged.push('through-edge-a');
    const has = async (client: DbHandle['client']) =>
      (await client.execute("SELECT 1 FROM api_tokens WHERE name = 'through-edge-a'")).rows.length > 0 || undefined;
    await waitUntil('edge b sees it', async () => {
      await edges[1]!.sync();
      return has(edges[1]!.client);
    });
    const edgeLag = Date.now() - started;
    const standbyReader = createDb({ url: standby.http, deadlineMs: DEADLINE_MS });
    await waitUntil('standby sees it', () => has(standbyReader.client));
    const standbyLag = Date.now() - started;
    standbyReader.close();
    report(`replica lag: write via edge A → visible on edge B ${edgeLag} ms, on the standby ${standbyLag} ms`);
  });

  it('N concurrent writer processes: no BUSY, config versions unique and monotonic', async () => {
    const writers = 4;
    const each = 15;
    const script = path.join(ROOT, 'test/e2e/support/version-writer.ts');
    const outputs = await Promise.all(
      Array.from(
        { length: writers },
        () =>
          new Promise<string>((resolve, reject) => {
            const child = spawn(process.execPath, ['--import', 'tsx', script, primary.http, String(each)], {
              cwd: ROOT,
            });
            let out = '';
            let err = '';
            child.stdout.on('data', (d) => (out += d));
            child.stderr.on('data', (d) => (err += d));
            child.on('exit', (code) =>
              code === 0 ? resolve(out) : reject(new Error(`writer exited ${code}: ${err}`)),
            );
          }),
      ),
    );
    const all: number[] = [];
    for (const out of outputs) {
      const versions = out.trim().split('\n').map(Number);
      expect(versions).toHaveLength(each);
      expect([...versions].sort((a, b) => a - b)).toEqual(versions); // monotonic per writer
      all.push(...versions);
    }
    expect(new Set(all).size).toBe(writers * each); // no version handed out twice
  }, 120_000);

  it('primary down: writes answer 503 within the deadline, reads go on', async () => {
    await stop(primary, 'SIGKILL');
    for (const edge of edges) {
      const app = appOver(edge.db);
      const started = Date.now();
      const write = await call(app, 'POST', '/api/v1/tokens', { name: 'while-down', scope: 'read' });
      const took = Date.now() - started;
      expect(write.status).toBe(503);
      expect(((await write.json()) as { error: { code: string } }).error.code).toBe('unavailable');
      expect(took).toBeLessThan(DEADLINE_MS + 1000);
      report(`primary down: a write answered 503 after ${took} ms (deadline ${DEADLINE_MS} ms)`);
      const read = await call(app, 'GET', '/api/v1/tokens');
      expect(read.status).toBe(200);
    }
  }, 60_000);

  it('promote the standby: writes resume and nothing acknowledged is lost; the old primary is fenced', async () => {
    await stop(standby, 'SIGTERM');
    const result = promoteStandby({ standbyDir: standby.dir, oldPrimaryDir: primary.dir, now: new Date() });
    expect(result.fencedAt).toBeDefined();
    const promoted = await startSqld(standby.dir);
    standby = promoted;
    const db = createDb({ url: promoted.http, deadlineMs: DEADLINE_MS });
    try {
      const names = (await db.client.execute('SELECT name FROM api_tokens')).rows.map((r) => String(r.name));
      for (const name of acknowledged) expect(names).toContain(name);
      const res = await call(appOver(db.db), 'POST', '/api/v1/tokens', { name: 'after-promotion', scope: 'read' });
      expect(res.status).toBe(201);
      report('promotion: standby started as primary; every acknowledged write present; writes resume');
    } finally {
      db.close();
    }
    // The old primary cannot come back as a primary: its data path is a file now.
    const again = spawn(sqld!, ['--db-path', primary.dir, '--http-listen-addr', `127.0.0.1:${await freePort()}`], {
      stdio: 'ignore',
    });
    const code = await new Promise<number | string | null>((r) => {
      const timer = setTimeout(() => r('still running after 20 s'), 20_000);
      again.on('exit', (c) => {
        clearTimeout(timer);
        r(c);
      });
    });
    await stopProcess(again, 'SIGKILL');
    expect(code).not.toBe(0);
    expect(code).not.toBe('still running after 20 s');
  }, 120_000);
});
