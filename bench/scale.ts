// Benchmark (not a test): the control plane at scale — 10,000 routes, 5,000 peers (1,000 of them gateways'),
// 1,000 gateways in one database, the real Caddy binary fed every snapshot. Measures: API p50/p99 for list
// pages (first and last page) and writes (route create, update), create→live, the snapshot PUT to Caddy on
// its own, and RSS of the control plane (this process: it runs in-process, see test/helpers/stack.ts) and Caddy.
// Seeding goes straight into the database; what is timed goes through the REST API over loopback.
// Run: npx tsx --conditions=gatehouse-source bench/scale.ts [--quick]   (needs bin/caddy)

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { formatIPv4, parseIPv4 } from '@gatehouse/protocol';
import { desc, eq } from 'drizzle-orm';
import pino from 'pino';
import { DataPlane } from '../src/caddy/data-plane.ts';
import { loadProxySecret } from '../src/caddy/proxy-secret.ts';
import { controlPlaneDial } from '../src/caddy/route-auth.ts';
import { compileSnapshot } from '../src/caddy/snapshot.ts';
import { gateways, peers, routes } from '../src/db/schema/index.ts';
import { loadCompileInput } from '../src/services/config/compile-input.ts';
import { currentVersion } from '../src/services/config/version.ts';
import { loadGatewayRefs } from '../src/services/gateways/read.ts';
import { generateKeyPair } from '../src/wireguard/keys.ts';
import { freePort, tcpRoundTrip, tcpServer } from '../test/helpers/net.ts';
import { startStack } from '../test/helpers/stack.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { type Measure, median, quantile, quick, report } from './lib/report.ts';

const ROUTES = quick ? 2_000 : 10_000;
const PEERS = quick ? 1_000 : 5_000;
const GATEWAYS = quick ? 200 : 1_000;
const SAMPLES = quick ? 15 : 40;
const WRITES = quick ? 5 : 15;

const mib = (bytes: number) => bytes / 2 ** 20;
function rssOf(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return line ? Number(line[1]) / 1024 : Number.NaN;
}

async function main() {
  const stack = await startStack({
    GATEHOUSE_LOG_LEVEL: 'silent',
    GATEHOUSE_WG_ADDRESS: '10.8.0.1/18',
    GATEHOUSE_GATEWAY_FORWARD_PORTS: '40000-49999',
  });
  // An echo target that ignores a peer gone mid-write (a snapshot swap closes proxied connections).
  const echo = await tcpServer((socket) => {
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => socket.write(`e:${d.toString()}`));
  });
  const rows: Measure[] = [];
  try {
    const db = stack.server.db;
    const now = new Date();
    const t0 = performance.now();
    // Peers: the first GATEWAYS are the gateways' own.
    const base = parseIPv4('10.8.0.2')!;
    const key = generateKeyPair(); // one real key shape; public keys only need to be distinct here
    const peerRows = Array.from({ length: PEERS }, (_, i) => ({
      name: `scale-peer-${i}`,
      publicKey: `${key.publicKey.slice(0, 24)}${randomBytes(15).toString('base64').slice(0, 19)}=`,
      privateKey: null,
      presharedKey: null,
      address: formatIPv4(base + i),
      dns: [],
      allowedIps: ['10.8.0.0/18'],
      enabled: true,
      tags: i % 3 === 0 ? ['staff'] : ['guests'],
      isGateway: i < GATEWAYS,
      createdAt: now,
      updatedAt: now,
    }));
    for (let i = 0; i < peerRows.length; i += 500) await db.insert(peers).values(peerRows.slice(i, i + 500));
    const gwPeerIds = (
      await db.select({ id: peers.id }).from(peers).where(eq(peers.isGateway, true)).orderBy(peers.id)
    ).map((p) => p.id);
    const gwRows = Array.from({ length: GATEWAYS }, (_, i) => ({
      name: `scale-gw-${i}`,
      peerId: gwPeerIds[i]!,
      lanNetworks: ['192.168.1.0/24'],
      tokenHash: randomBytes(32).toString('hex'),
      tokenPrefix: `gtw_${i}`,
      createdAt: now,
      updatedAt: now,
    }));
    for (let i = 0; i < gwRows.length; i += 500) await db.insert(gateways).values(gwRows.slice(i, i + 500));
    const gwIds = (await db.select({ id: gateways.id }).from(gateways).orderBy(gateways.id)).map((g) => g.id);
    // Routes: two HTTP routes per gateway through it, the rest HTTP straight to the echo target.
    const routeRows = Array.from({ length: ROUTES }, (_, i) => {
      const viaGateway = i < GATEWAYS * 2;
      return {
        type: 'http' as const,
        name: `scale-${i}`,
        domain: `scale-${i}.bench.test`,
        targetKind: viaGateway ? ('gateway' as const) : ('direct' as const),
        targetHost: viaGateway ? null : '127.0.0.1',
        targetPort: viaGateway ? null : echo.port,
        gatewayId: viaGateway ? gwIds[i % GATEWAYS]! : null,
        targetLanHost: viaGateway ? `192.168.1.${10 + (i % 200)}` : null,
        targetLanPort: viaGateway ? 80 : null,
        gatewayPort: viaGateway ? 40_000 + Math.floor(i / GATEWAYS) : null,
        customHeaders: [],
        upstreams: [],
        aclPeers: [],
        ipFilterRules: [],
        createdAt: now,
        updatedAt: now,
      };
    });
    for (let i = 0; i < routeRows.length; i += 500) await db.insert(routes).values(routeRows.slice(i, i + 500));
    console.error(
      `seeded ${ROUTES} routes, ${PEERS} peers, ${GATEWAYS} gateways in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    // The first write pushes the whole table to Caddy (untimed: provisioning 10,000 routes from cold).
    const warm = await stack.request('POST', '/api/v1/routes', {
      domain: 'warm.bench.test',
      target_host: '127.0.0.1',
      target_port: echo.port,
    });
    if (warm.status !== 201) throw new Error(`warm-up write failed: ${JSON.stringify(warm.body)}`);

    const timed = async (what: string, fn: () => Promise<unknown>, n: number) => {
      const xs: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        await fn();
        xs.push(performance.now() - t);
      }
      const p50 = median(xs);
      const p99 = quantile(xs, 0.99);
      console.error(`${what}: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (${n} samples)`);
      rows.push(
        { measure: `scale: ${what}, p50`, unit: 'ms', ours: p50 },
        { measure: `scale: ${what}, p99`, unit: 'ms', ours: p99 },
      );
    };
    const get = (url: string) => async () => {
      const res = await stack.request('GET', url);
      if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
    };
    await timed('GET /routes first page (50)', get('/api/v1/routes?limit=50'), SAMPLES);
    await timed('GET /routes last page (50)', get(`/api/v1/routes?limit=50&offset=${ROUTES - 50}`), SAMPLES);
    await timed('GET /peers first page (50)', get('/api/v1/peers?limit=50'), SAMPLES);
    await timed('GET /gateways first page (50)', get('/api/v1/gateways?limit=50'), SAMPLES);

    let n = 0;
    await timed(
      'POST /routes (HTTP, create→201)',
      async () => {
        const res = await stack.request('POST', '/api/v1/routes', {
          domain: `w-${n++}.bench.test`,
          target_host: '127.0.0.1',
          target_port: echo.port,
        });
        if (res.status !== 201) throw new Error(`create: ${JSON.stringify(res.body)}`);
      },
      WRITES,
    );
    const directIds = (
      await db
        .select({ id: routes.id })
        .from(routes)
        .where(eq(routes.targetKind, 'direct'))
        .orderBy(desc(routes.id))
        .limit(100)
    ).map((r) => r.id);
    let m = 0;
    await timed(
      'PUT /routes/:id (→200)',
      async () => {
        const res = await stack.request('PUT', `/api/v1/routes/${directIds[m++ % directIds.length]}`, {
          target_port: echo.port + 0,
        });
        if (res.status !== 200) throw new Error(`update: ${JSON.stringify(res.body)}`);
      },
      WRITES,
    );
    await timed(
      'L4 route create→live',
      async () => {
        const port = await freePort();
        const res = await stack.request('POST', '/api/v1/routes', {
          type: 'l4',
          l4_listen_port: port,
          target_host: '127.0.0.1',
          target_port: echo.port,
        });
        if (res.status !== 201) throw new Error(`create: ${JSON.stringify(res.body)}`);
        await waitFor(
          'route live',
          async () => ((await tcpRoundTrip(port, 'x', 500).catch(() => '')) === 'e:x' ? true : undefined),
          10_000,
          1,
        );
      },
      WRITES,
    );

    // The snapshot on its own, the same one the write path compiles (gateways, proxy secret), so Caddy swaps
    // in a warm generation rather than provisioning every route anew. Compiled from the database and PUT to Caddy's admin socket (the module
    // decodes, validates and swaps it), one version at a time past the current one. Done last: the
    // server's own DataPlane learns of these versions only through a 409, which it handles.
    const dp = new DataPlane(stack.server.caddy!.admin, () => true, pino({ level: 'silent' }));
    let version = Math.max(await currentVersion(db), (await dp.state())?.version ?? 0) + 1;
    const compileMs: number[] = [];
    const putMs: number[] = [];
    let bytes = 0;
    for (let i = 0; i < WRITES; i++) {
      const t = performance.now();
      const input = await loadCompileInput(
        db,
        ++version,
        loadGatewayRefs,
        controlPlaneDial(stack.config.listen),
        loadProxySecret(stack.config.dataDir),
      );
      const snap = compileSnapshot(input);
      const t1 = performance.now();
      bytes = JSON.stringify(snap).length;
      let applied = await dp.apply(snap);
      if (applied.status === 'stale') {
        // Caddy holds a version this loop did not know of (the write path's own): move past it, as it does.
        version = applied.current + 1;
        applied = await dp.apply({ ...snap, version });
      }
      if (applied.status !== 'applied') throw new Error(`snapshot PUT: ${JSON.stringify(applied)}`);
      compileMs.push(t1 - t);
      putMs.push(performance.now() - t1);
    }
    console.error(
      `snapshot (${(bytes / 2 ** 20).toFixed(1)} MiB): read+compile p50 ${median(compileMs).toFixed(0)} ms; PUT p50 ${median(putMs).toFixed(0)} ms, p99 ${quantile(putMs, 0.99).toFixed(0)} ms`,
    );
    rows.push(
      { measure: 'scale: snapshot read+compile, p50', unit: 'ms', ours: median(compileMs) },
      {
        measure: 'scale: snapshot PUT to Caddy, p50',
        unit: 'ms',
        ours: median(putMs),
        note: `${(bytes / 2 ** 20).toFixed(1)} MiB body`,
      },
      { measure: 'scale: snapshot PUT to Caddy, p99', unit: 'ms', ours: quantile(putMs, 0.99) },
    );
    (globalThis as { gc?: () => void }).gc?.();
    const cpRss = mib(process.memoryUsage().rss);
    const caddyRss = rssOf(stack.server.caddy?.status().pid);
    console.error(
      `RSS: control plane ${cpRss.toFixed(0)} MiB (with this bench in-process), Caddy ${caddyRss.toFixed(0)} MiB`,
    );
    rows.push(
      { measure: 'scale: control-plane RSS', unit: 'MiB', ours: cpRss, note: 'in-process with the bench driver' },
      { measure: 'scale: Caddy RSS', unit: 'MiB', ours: caddyRss },
    );
    console.log(`scale: ${ROUTES} routes, ${PEERS} peers, ${GATEWAYS} gateways`);
    for (const r of rows) console.log(`${r.measure.padEnd(50)} ${r.ours.toFixed(1).padStart(9)} ${r.unit}`);
    report(rows);
  } finally {
    // Seen twice while stopping (runs on a loaded host): an EPIPE on a socket with no error listener, which
    // one not yet known. Reported, not fatal, so the figures above still count; see the lead's notes.
    process.on('uncaughtException', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      console.error(`scale: ignored while stopping: ${err.message}`);
    });
    await echo.close();
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
