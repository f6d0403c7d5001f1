// Benchmark (not a test): the snapshot compiler alone — read everything from the database and compile it
// (loadCompileInput + compileSnapshot, what every write does before the PUT to Caddy), at 10,000 routes,
// 5,000 peers, 1,000 gateways (2,000/1,000/200 with --quick), plus the snapshot's size. No Caddy, no server:
// a temporary libSQL file seeded directly. Routes mix what the compiler resolves: through a gateway, to a peer
// (with a peer condition), and direct with a shared policy (with a peer_tag condition).
// Run: npx tsx --conditions=gatehouse-source bench/snapshot-compile.ts [--quick] [--routes=N --peers=N --gateways=N]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { formatIPv4, parseIPv4 } from '@gatehouse/protocol';
import { compileSnapshot } from '../src/caddy/snapshot.ts';
import { createDb, migrateDb } from '../src/db/index.ts';
import { gateways, peers, policies, routes } from '../src/db/schema/index.ts';
import { loadCompileInput } from '../src/services/config/compile-input.ts';
import { loadGatewayRefs } from '../src/services/gateways/read.ts';
import { type Measure, median, quick, report } from './lib/report.ts';

const arg = (name: string, fallback: number) => {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  const n = found ? Number(found.split('=')[1]) : fallback;
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new Error(`--${name}: a whole number 1–100000`);
  return n;
};
const ROUTES = arg('routes', quick ? 2_000 : 10_000);
const PEERS = arg('peers', quick ? 1_000 : 5_000);
const GATEWAYS = Math.min(arg('gateways', quick ? 200 : 1_000), PEERS);
const SHARED_POLICIES = 100;
const ROUNDS = quick ? 5 : 9;

/** The body's size; NaN when it is too large for one JavaScript string (what the PUT would need). */
function bodySize(snap: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(snap));
  } catch (err) {
    if (err instanceof RangeError) return Number.NaN;
    throw err;
  }
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-compile-'));
  const handle = createDb({ url: `file:${path.join(dir, 'bench.db')}` });
  try {
    await migrateDb(handle);
    const db = handle.db;
    const now = new Date();
    const base = parseIPv4('10.8.0.2')!;
    const peerRows = Array.from({ length: PEERS }, (_, i) => ({
      name: `scale-peer-${i}`,
      publicKey: `${String(i).padStart(43, 'A')}=`,
      privateKey: null,
      presharedKey: null,
      address: formatIPv4(base + i),
      dns: [],
      allowedIps: ['10.8.0.0/16'],
      enabled: true,
      tags: i % 3 === 0 ? ['staff'] : ['guests', `team-${i % 50}`],
      isGateway: i < GATEWAYS,
      createdAt: now,
      updatedAt: now,
    }));
    for (let i = 0; i < peerRows.length; i += 500) await db.insert(peers).values(peerRows.slice(i, i + 500));
    const peerIds = (await db.select({ id: peers.id }).from(peers).orderBy(peers.id)).map((p) => p.id);
    const gwRows = Array.from({ length: GATEWAYS }, (_, i) => ({
      name: `scale-gw-${i}`,
      peerId: peerIds[i]!,
      lanNetworks: ['192.168.1.0/24'],
      tokenHash: `${i}`.padStart(64, '0'),
      tokenPrefix: `gtw_${i}`,
      createdAt: now,
      updatedAt: now,
    }));
    for (let i = 0; i < gwRows.length; i += 500) await db.insert(gateways).values(gwRows.slice(i, i + 500));
    const gwIds = (await db.select({ id: gateways.id }).from(gateways).orderBy(gateways.id)).map((g) => g.id);
    await db.insert(policies).values(
      Array.from({ length: SHARED_POLICIES }, (_, i) => ({
        name: `shared-${i}`,
        policy: {
          default: 'deny' as const,
          rules: [
            { action: 'allow' as const, conditions: [{ type: 'peer_tag' as const, values: [`team-${i % 50}`] }] },
          ],
        },
        createdAt: now,
        updatedAt: now,
      })),
    );
    const policyIds = (await db.select({ id: policies.id }).from(policies).orderBy(policies.id)).map((p) => p.id);
    const routeRows = Array.from({ length: ROUTES }, (_, i) => {
      const kind = i < GATEWAYS * 2 ? 'gateway' : i % 2 === 0 ? 'peer' : 'direct';
      const peerId = peerIds[GATEWAYS + (i % (PEERS - GATEWAYS || 1))] ?? peerIds[0]!;
      return {
        type: 'http' as const,
        name: `scale-${i}`,
        domain: `scale-${i}.bench.test`,
        targetKind: kind as 'gateway' | 'peer' | 'direct',
        targetHost: kind === 'direct' ? '127.0.0.1' : null,
        targetPort: kind === 'gateway' ? null : 8080,
        peerId: kind === 'peer' ? peerId : null,
        gatewayId: kind === 'gateway' ? gwIds[i % GATEWAYS]! : null,
        targetLanHost: kind === 'gateway' ? `192.168.1.${10 + (i % 200)}` : null,
        targetLanPort: kind === 'gateway' ? 80 : null,
        gatewayPort: kind === 'gateway' ? 40_000 + Math.floor(i / GATEWAYS) : null,
        policyId: kind === 'direct' ? policyIds[i % SHARED_POLICIES]! : null,
        policy:
          kind === 'peer'
            ? {
                default: 'deny' as const,
                rules: [
                  { action: 'allow' as const, conditions: [{ type: 'peer' as const, values: [String(peerId)] }] },
                ],
              }
            : kind === 'gateway'
              ? { default: 'allow' as const, rules: [] }
              : null,
        customHeaders: [],
        upstreams: [],
        createdAt: now,
        updatedAt: now,
      };
    });
    for (let i = 0; i < routeRows.length; i += 500) await db.insert(routes).values(routeRows.slice(i, i + 500));

    const readMs: number[] = [];
    const compileMs: number[] = [];
    let bytes = 0;
    let compiled = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      const input = await loadCompileInput(db, i + 1, loadGatewayRefs, '127.0.0.1:3000', 'bench-secret');
      const t1 = performance.now();
      const snap = compileSnapshot(input);
      const t2 = performance.now();
      readMs.push(t1 - t0);
      compileMs.push(t2 - t1);
      bytes = bodySize(snap);
      compiled = snap.routes.length;
    }
    const total = readMs.map((r, i) => r + compileMs[i]!);
    console.log(`snapshot compile: ${ROUTES} routes (${compiled} compiled), ${PEERS} peers, ${GATEWAYS} gateways`);
    console.log(`  read p50 ${median(readMs).toFixed(0)} ms, compile p50 ${median(compileMs).toFixed(0)} ms`);
    console.log(`  read+compile p50 ${median(total).toFixed(0)} ms (${ROUNDS} rounds)`);
    console.log(`  snapshot ${bytes} bytes (${(bytes / 2 ** 20).toFixed(2)} MiB)`);
    const rows: Measure[] = [
      { measure: 'snapshot: read+compile, p50', unit: 'ms', ours: median(total), note: `${ROUTES} routes` },
      { measure: 'snapshot: compile only, p50', unit: 'ms', ours: median(compileMs) },
      { measure: 'snapshot: body size', unit: 'bytes', ours: bytes },
    ];
    report(rows);
  } finally {
    handle.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
