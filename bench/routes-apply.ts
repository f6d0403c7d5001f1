// Time from an API call to a live route, with 10 / 1,000 / 5,000 routes already in place.
// Real: the control plane in-process, the real Caddy binary, the REST API over loopback, a TCP echo target.
// Run: npx tsx --conditions=gatehouse-source bench/routes-apply.ts   (needs bin/caddy: npm run build:caddy)
// Prints medians of several runs per size; ratios against the 10-route baseline show how cost grows.
import { performance } from 'node:perf_hooks';
import { routes } from '../src/db/schema/index.ts';
import { echoServer, freePort, tcpRoundTrip } from '../test/helpers/net.ts';
import { startStack } from '../test/helpers/stack.ts';
import { waitFor } from '../test/helpers/wait.ts';

import { quick, report } from './lib/report.ts';

// BENCH_ROUTE_SIZES=10,5000 picks the sizes (e.g. to profile one size with node --cpu-prof).
const SIZES = process.env.BENCH_ROUTE_SIZES
  ? process.env.BENCH_ROUTE_SIZES.split(',').map(Number)
  : quick
    ? [10, 1000]
    : [10, 1000, 5000, 10000];
const RUNS = Number(process.env.BENCH_ROUTE_RUNS) || (quick ? 3 : 5);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const stack = await startStack({ GATEHOUSE_LOG_LEVEL: 'silent' });
  const echo = await echoServer('e:');
  const results: { size: number; createMs: number; liveMs: number; updateLiveMs: number }[] = [];
  try {
    let existing = 0;
    for (const size of SIZES) {
      // Seed HTTP routes straight into the database (the API path is what we measure, not the seeding).
      const now = new Date();
      const batch = [];
      for (let i = existing; i < size; i++) {
        batch.push({
          type: 'http' as const,
          name: `seed-${i}`,
          domain: `seed-${i}.bench.test`,
          targetKind: 'direct' as const,
          targetHost: '127.0.0.1',
          targetPort: echo.port,
          customHeaders: [],
          upstreams: [],
          aclPeers: [],
          ipFilterRules: [],
          createdAt: now,
          updatedAt: now,
        });
      }
      for (let i = 0; i < batch.length; i += 500) await stack.server.db.insert(routes).values(batch.slice(i, i + 500));
      existing = size;
      // One API write pushes the whole table; do it untimed so the first timed write starts from a warm state.
      await stack.request('POST', '/api/v1/routes', {
        domain: `warm-${size}.bench.test`,
        target_host: '127.0.0.1',
        target_port: echo.port,
      });

      const createMs: number[] = [];
      const liveMs: number[] = [];
      const updateLiveMs: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        const port = await freePort();
        const t0 = performance.now();
        const res = await stack.request('POST', '/api/v1/routes', {
          type: 'l4',
          l4_listen_port: port,
          target_host: '127.0.0.1',
          target_port: echo.port,
        });
        if (res.status !== 201) throw new Error(`create failed: ${JSON.stringify(res.body)}`);
        createMs.push(performance.now() - t0);
        await waitFor(
          'route live',
          async () => ((await tcpRoundTrip(port, 'x', 500).catch(() => '')) === 'e:x' ? true : undefined),
          10_000,
          1,
        );
        liveMs.push(performance.now() - t0);

        const other = await echoServer('o:');
        const t1 = performance.now();
        const upd = await stack.request('PUT', `/api/v1/routes/${res.body.id}`, { target_port: other.port });
        if (upd.status !== 200) throw new Error(`update failed: ${JSON.stringify(upd.body)}`);
        await waitFor(
          'update live',
          async () => ((await tcpRoundTrip(port, 'x', 500).catch(() => '')) === 'o:x' ? true : undefined),
          10_000,
          1,
        );
        updateLiveMs.push(performance.now() - t1);
        await other.close();
      }
      results.push({
        size: size + 2 + RUNS,
        createMs: median(createMs),
        liveMs: median(liveMs),
        updateLiveMs: median(updateLiveMs),
      });
      existing += 1 + RUNS;
    }
  } finally {
    await echo.close();
    await stack.stop();
  }
  const base = results[0]!;
  console.log('\nAPI call → live route (median of %d runs)', RUNS);
  console.log('routes   create→201 ms   create→live ms   update→live ms   ratio vs 10 routes (create→live)');
  for (const r of results) {
    console.log(
      `${String(r.size).padStart(6)}   ${r.createMs.toFixed(1).padStart(13)}   ${r.liveMs.toFixed(1).padStart(14)}   ${r.updateLiveMs.toFixed(1).padStart(14)}   ${(r.liveMs / base.liveMs).toFixed(2).padStart(8)}×`,
    );
  }
  const top = results.at(-1)!;
  // Linear would be size/base.size; the goal is that create→live grows no worse than linearly.
  const linear = top.size / base.size;
  report([
    {
      measure: `route create→live at ${top.size} routes`,
      unit: 'ms',
      ours: top.liveMs,
      peer: base.liveMs,
      peerName: `at ${base.size} routes`,
      ratio: top.liveMs / base.liveMs,
      goal: `ratio ≤ ${linear.toFixed(0)} (linear)`,
      met: top.liveMs / base.liveMs <= linear,
    },
    {
      measure: `route create→201 at ${top.size} routes`,
      unit: 'ms',
      ours: top.createMs,
      peer: base.createMs,
      peerName: `at ${base.size} routes`,
      ratio: top.createMs / base.createMs,
    },
  ]);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
