// One change → every edge live, p50/p99, with 5,000 and 20,000 routes in place (issue 21, docs/scaling.md).
// Real: sqld (scripts/build-sqld.sh) as the primary database; the primary control plane and two edges
// (`startServer` with GATEHOUSE_ROLE=edge, embedded replicas, each its own Caddy) in this process; the REST
// API over loopback. Measured: from the API call on the primary to both edges' Caddy reporting the new config
// version (`/api/v1/health`, applied_version).
// Run: npx tsx --conditions=gatehouse-source bench/edges-change.ts [sizes, default 5000,20000] [runs, default 20]
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { loadConfig } from '../src/config/index.ts';
import { routes } from '../src/db/schema/index.ts';
import { type RunningServer, startServer } from '../src/server.ts';
import { bumpVersion, currentVersion } from '../src/services/config/version.ts';
import { caddyBin, ROOT } from '../test/helpers/caddy.ts';
import { tempDir } from '../test/helpers/env.ts';
import { freePort } from '../test/helpers/net.ts';
import { report } from './lib/report.ts';

const SIZES = (process.argv[2] ?? '5000,20000').split(',').map(Number);
const RUNS = Number(process.argv[3] ?? 20);
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (performance.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function main() {
  const sqld = execFileSync(path.join(ROOT, 'scripts/build-sqld.sh'), ['--path'], { encoding: 'utf8' }).trim();
  if (!existsSync(sqld)) throw new Error('no sqld binary: run scripts/build-sqld.sh first');
  const { dir, cleanup } = tempDir('gatehouse-bench-edges-');
  const sqldPort = await freePort();
  const sqldProc: ChildProcess = spawn(
    sqld,
    ['--db-path', path.join(dir, 'sqld'), '--http-listen-addr', `127.0.0.1:${sqldPort}`, '--no-welcome'],
    {
      stdio: 'ignore',
    },
  );
  const primaryUrl = `http://127.0.0.1:${sqldPort}`;
  await until('sqld', async () => ((await fetch(`${primaryUrl}/health`)).ok ? true : undefined), 20_000);
  const logger = pino({ level: (process.env.BENCH_LOG_LEVEL ?? 'silent') as pino.Level });
  const secret = randomBytes(32).toString('base64');
  const servers: RunningServer[] = [];
  const start = async (name: string, env: Record<string, string>) => {
    const [api, http, https] = [await freePort(), await freePort(), await freePort()];
    const config = loadConfig({
      GATEHOUSE_DATA_DIR: path.join(dir, name),
      GATEHOUSE_LISTEN: `127.0.0.1:${api}`,
      GATEHOUSE_HTTP_PORT: String(http),
      GATEHOUSE_HTTPS_PORT: String(https),
      GATEHOUSE_TLS_ISSUER: 'internal',
      GATEHOUSE_CADDY_BIN: caddyBin(),
      GATEHOUSE_WG_ENABLED: 'false',
      GATEHOUSE_ADMIN_PASSWORD: 'correct horse battery staple',
      GATEHOUSE_SECRET_KEY: secret,
      // Measured here is change → live, not the 503 deadline: seeding 20,000 routes on a loaded machine may
      // take longer than the default 5 s per call.
      GATEHOUSE_DB_DEADLINE_MS: '60000',
      ...env,
    });
    const server = await startServer({ config, logger });
    servers.push(server);
    return server;
  };
  try {
    const primary = await start('primary', { GATEHOUSE_DB_URL: primaryUrl, GATEHOUSE_CADDY_ENABLED: 'false' });
    const login = await fetch(`${primary.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'correct horse battery staple' }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const { csrf_token } = (await login.json()) as { csrf_token: string };
    const tokenRes = await fetch(`${primary.url}/api/v1/tokens`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrf_token, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', scope: 'admin' }),
    });
    const auth = {
      authorization: `Bearer ${((await tokenRes.json()) as { token: string }).token}`,
      'content-type': 'application/json',
    };
    const edgeEnv = (name: string) => ({
      GATEHOUSE_ROLE: 'edge',
      GATEHOUSE_DB_URL: `file:${path.join(dir, name, 'replica.db')}`,
      GATEHOUSE_DB_SYNC_URL: primaryUrl,
      GATEHOUSE_DB_SYNC_INTERVAL_SECONDS: '0.1',
    });
    const edges = [await start('edge-a', edgeEnv('edge-a')), await start('edge-b', edgeEnv('edge-b'))];
    const applied = async (edge: RunningServer) => {
      const res = await fetch(`${edge.url}/api/v1/health`, { headers: auth });
      return ((await res.json()) as { config: { applied_version: number | null } }).config.applied_version ?? 0;
    };
    const allAt = (version: number) => async () =>
      (await Promise.all(edges.map(applied))).every((v) => v >= version) ? true : undefined;

    let existing = 0;
    for (const size of SIZES) {
      const now = new Date();
      const batch = [];
      for (let i = existing; i < size; i++) {
        batch.push({
          type: 'http' as const,
          name: `seed-${i}`,
          domain: `seed-${i}.bench.test`,
          targetKind: 'direct' as const,
          targetHost: '127.0.0.1',
          targetPort: 9,
          customHeaders: [],
          upstreams: [],
          aclPeers: [],
          ipFilterRules: [],
          createdAt: now,
          updatedAt: now,
        });
      }
      for (let i = 0; i < batch.length; i += 500) {
        // Three servers share this process's one write queue; a seed batch that waited too long for its turn
        // (503 database_busy) is tried again. The measured changes below are never retried.
        for (let attempt = 1; ; attempt++) {
          try {
            await primary.db.insert(routes).values(batch.slice(i, i + 500));
            break;
          } catch (err) {
            if (attempt >= 10) throw err;
            await new Promise((r) => setTimeout(r, 500));
          }
        }
      }
      existing = size;
      const seeded = await primary.db.transaction((tx) => bumpVersion(tx, new Date()));
      await until(`edges at ${size} routes`, allAt(seeded), 300_000);

      const liveMs: number[] = [];
      let retried = 0;
      for (let run = 0; run < RUNS; run++) {
        const t0 = performance.now();
        // A client does what a 503 says: sqld may end a long write transaction (TRANSACTION_TIMEOUT, see
        // docs/scaling.md), answered as database_busy with Retry-After. The retry is inside the measured time
        // and counted in its own row.
        let res: Response;
        for (let attempt = 1; ; attempt++) {
          res = await fetch(`${primary.url}/api/v1/routes`, {
            method: 'POST',
            headers: auth,
            body: JSON.stringify({
              domain: `change-${size}-${run}.bench.test`,
              target_host: '127.0.0.1',
              target_port: 9,
            }),
          });
          if (res.status !== 503 || attempt >= 5) break;
          retried++;
          const after = Number((await res.json().catch(() => ({}))).error?.retry_after ?? 2);
          await new Promise((r) => setTimeout(r, Math.min(10, Math.max(1, after)) * 1000));
        }
        if (res.status !== 201) throw new Error(`create answered ${res.status}: ${await res.text()}`);
        // The version the change committed (the primary's reconciler status lags up to its interval).
        const version = await currentVersion(primary.db);
        await until(`edges at version ${version}`, allAt(version), 120_000);
        liveMs.push(performance.now() - t0);
      }
      process.stdout.write(
        `${size} routes: one change → both edges live p50 ${pct(liveMs, 50).toFixed(0)} ms, p99 ${pct(liveMs, 99).toFixed(0)} ms (${RUNS} runs, ${retried} retried after a 503)\n`,
      );
      const measure = `one change → both edges live at ${size} routes`;
      report([
        { measure: `${measure} p50`, unit: 'ms', ours: pct(liveMs, 50), note: `${RUNS} changes, sqld primary` },
        { measure: `${measure} p99`, unit: 'ms', ours: pct(liveMs, 99) },
        { measure: `${measure}: changes answered 503 and retried`, unit: `of ${RUNS}`, ours: retried },
      ]);
    }
  } finally {
    for (const s of servers.reverse()) await s.stop().catch(() => {});
    // sqld writes into its --db-path while it shuts down: removing the directory before it exits left it behind
    await new Promise((resolve) => {
      if (sqldProc.exitCode !== null || sqldProc.signalCode !== null) return resolve(undefined);
      sqldProc.once('exit', resolve);
      sqldProc.kill('SIGTERM');
      setTimeout(() => sqldProc.kill('SIGKILL'), 5000).unref();
    });
    cleanup();
  }
}

await main();
