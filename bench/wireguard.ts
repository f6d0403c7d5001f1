/**
 * WireGuard benchmark (not a test): how long applying one peer change takes with `wg syncconf` on a
 * wireguard-go interface carrying 10 / 500 / 2,000 peers, and how long GET /api/v1/peers takes with 2,000
 * peers in the database. Ratios are against the 10-peer figures measured in the same run.
 *
 *   npx tsx --conditions=gatehouse-source bench/wireguard.ts            (root; wg, wireguard-go and ip installed)
 *
 * Everything runs inside a network namespace this script creates and deletes again.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatIPv4, parseIPv4 } from '@gatehouse/protocol';
import pino from 'pino';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config/index.ts';
import { createDb, migrateDb } from '../src/db/index.ts';
import { peers } from '../src/db/schema/index.ts';
import { PeerHooks } from '../src/services/peers/hooks.ts';
import { OfflineNetwork } from '../src/services/peers/offline.ts';
import { createToken } from '../src/services/tokens/create.ts';
import type { ServerPeerSpec } from '../src/wireguard/conf.ts';
import { netnsRunner, runCommand } from '../src/wireguard/exec.ts';
import { WireGuardInterface } from '../src/wireguard/interface.ts';
import { generateKeyPair, generatePresharedKey } from '../src/wireguard/keys.ts';
import { quick, report } from './lib/report.ts';

const logger = pino({ level: 'silent' });
const SIZES = quick ? [10, 1000] : [10, 500, 2000, 5000];
const CHANGES = quick ? 7 : 15;

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p95: at(0.95), max: sorted.at(-1)! };
}
const ms = (n: number) => `${n.toFixed(1)} ms`;

function makePeers(n: number): ServerPeerSpec[] {
  const base = parseIPv4('10.64.0.2')!;
  return Array.from({ length: n }, (_, i) => ({
    publicKey: generateKeyPair().publicKey,
    presharedKey: generatePresharedKey(),
    address: formatIPv4(base + i),
  }));
}

async function benchSyncconf() {
  const id = randomBytes(3).toString('hex');
  const ns = `gh-bench-${id}`;
  const name = `ghb${id}`;
  const runner = netnsRunner(ns);
  await runCommand('ip', ['netns', 'add', ns]);
  const iface = new WireGuardInterface({
    name,
    address: '10.64.0.1',
    prefix: 20,
    listenPort: 51820,
    privateKey: generateKeyPair().privateKey,
    runner,
    logger,
    forceUserspace: true,
  });
  const results: { n: number; load: number; change: ReturnType<typeof stats>; dump: ReturnType<typeof stats> }[] = [];
  try {
    await iface.up([]);
    for (const n of SIZES) {
      const set = makePeers(n + 1);
      const base = set.slice(0, n);
      let t = performance.now();
      await iface.sync(base);
      const load = performance.now() - t;
      // One change = one peer added or removed (what a create, disable or delete does).
      const changes: number[] = [];
      for (let i = 0; i < CHANGES; i++) {
        t = performance.now();
        await iface.sync(i % 2 === 0 ? set : base);
        changes.push(performance.now() - t);
      }
      const dumps: number[] = [];
      for (let i = 0; i < 5; i++) {
        t = performance.now();
        const dump = await iface.dump();
        dumps.push(performance.now() - t);
        if (dump.peers.length < n) throw new Error(`interface carries ${dump.peers.length} peers, expected ≥ ${n}`);
      }
      results.push({ n, load, change: stats(changes), dump: stats(dumps) });
    }
  } finally {
    await iface.down().catch(() => {});
    await runCommand('ip', ['netns', 'del', ns]).catch(() => {});
  }
  return results;
}

async function benchApiList() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-'));
  try {
    const config = loadConfig({
      GATEHOUSE_DATA_DIR: dir,
      GATEHOUSE_WG_ADDRESS: '10.64.0.1/20',
      GATEHOUSE_ADMIN_PASSWORD: 'bench password 123',
    });
    const handle = createDb(config.db);
    await migrateDb(handle);
    const now = () => new Date();
    const ctx = { db: handle.db, config, logger, now, actor: { kind: 'system' as const } };
    const token = (await createToken({ ctx, input: { name: 'bench', scope: 'read' } })).token;
    const app = createApp({
      db: handle.db,
      config,
      logger,
      now,
      health: async () => ({
        status: 'ok',
        db: { state: 'ok' },
        caddy: { state: 'disabled' },
        wireguard: { state: 'disabled' },
      }),
      peers: { network: new OfflineNetwork(), hooks: new PeerHooks() },
    });
    const out: { n: number; query: string; latency: ReturnType<typeof stats> }[] = [];
    let have = 0;
    for (const n of quick ? [10, 1000] : [10, 5000]) {
      const rows = makePeers(n - have).map((p, i) => ({
        name: `bench-${have + i}`,
        publicKey: p.publicKey,
        privateKey: null,
        presharedKey: p.presharedKey,
        address: formatIPv4(parseIPv4('10.64.0.2')! + have + i),
        dns: ['1.1.1.1'],
        allowedIps: ['0.0.0.0/0'],
        enabled: true,
        tags: i % 3 === 0 ? ['staff'] : ['guests'],
        isGateway: false,
        createdAt: now(),
        updatedAt: now(),
      }));
      await handle.db.transaction(async (tx) => {
        for (let i = 0; i < rows.length; i += 200) await tx.insert(peers).values(rows.slice(i, i + 200));
      });
      have = n;
      for (const query of ['', '?limit=500', '?tag=staff&q=bench-1&limit=50']) {
        const samples: number[] = [];
        for (let i = 0; i < 40; i++) {
          const t = performance.now();
          const res = await app.request(`/api/v1/peers${query}`, { headers: { authorization: `Bearer ${token}` } });
          await res.arrayBuffer();
          if (res.status !== 200) throw new Error(`GET /api/v1/peers${query} answered ${res.status}`);
          samples.push(performance.now() - t);
        }
        out.push({ n, query: query || '(default page, 50)', latency: stats(samples.slice(5)) });
      }
    }
    handle.close();
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.getuid?.() !== 0) {
  console.error('bench/wireguard.ts needs root (network namespaces, wireguard-go)');
  process.exit(1);
}
console.log(`node ${process.version}, ${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? ''}`);
console.log('\nwg syncconf on wireguard-go (one peer added or removed; p50 / p95 of', CHANGES, 'changes)');
const sync = await benchSyncconf();
const base = sync[0]!;
for (const r of sync) {
  console.log(
    `  ${String(r.n).padStart(5)} peers: change ${ms(r.change.p50)} / ${ms(r.change.p95)}  (×${(r.change.p50 / base.change.p50).toFixed(1)} vs 10)` +
      `   initial load ${ms(r.load)}   wg show dump ${ms(r.dump.p50)}`,
  );
}
{
  const top = sync.at(-1)!;
  report([
    {
      measure: `wg syncconf: one peer change at ${top.n} peers, p50`,
      unit: 'ms',
      ours: top.change.p50,
      peer: base.change.p50,
      peerName: `at ${base.n} peers`,
      ratio: top.change.p50 / base.change.p50,
      goal: `ratio ≤ ${top.n / base.n} (linear)`,
      met: top.change.p50 / base.change.p50 <= top.n / base.n,
    },
    { measure: `wg syncconf: initial load of ${top.n} peers`, unit: 'ms', ours: top.load },
  ]);
}
console.log('\nGET /api/v1/peers through the Hono app on a libSQL file (p50 / p95 of 35 requests)');
const list = await benchApiList();
for (const r of list) {
  const ref = list.find((x) => x.n === 10 && x.query === r.query)!;
  console.log(
    `  ${String(r.n).padStart(5)} peers ${r.query.padEnd(30)} ${ms(r.latency.p50)} / ${ms(r.latency.p95)}  (×${(r.latency.p50 / ref.latency.p50).toFixed(1)} vs 10)`,
  );
  if (r.n !== 10)
    report([
      {
        measure: `GET /api/v1/peers${r.query.startsWith('?') ? r.query : ''} at ${r.n} peers, p50 (p95 ${r.latency.p95.toFixed(1)})`,
        unit: 'ms',
        ours: r.latency.p50,
        peer: ref.latency.p50,
        peerName: 'at 10 peers',
        ratio: r.latency.p50 / ref.latency.p50,
      },
    ]);
}
