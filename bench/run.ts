// `npm run bench`: every benchmark, one after another, then one table — measure, ours, the peer measured in
// the same run, ratio, goal, met — with the machine (cores, load average), appended as one JSON line with
// the commit to bench/results/results.jsonl. `npm run bench -- --quick` is the two-minute version.
// Benchmarks are never tests (test/unit/tooling.test.ts: not run in CI). bench/README.md says what each measures.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Measure, quick } from './lib/report.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');

interface Bench {
  name: string;
  /** A TypeScript file run with tsx from the root, or with `go` a Go program run from this directory. */
  file: string;
  args: string[];
  /** Network namespaces, TUN: skipped with the reason when not root. */
  root?: boolean;
  /** `go run .` in `file` (the Go program appends its rows to BENCH_REPORT as bench/lib/report.ts does). */
  go?: boolean;
  /** Why it cannot run here (a missing binary), checked before it starts; undefined: it can. */
  skip?: () => string | undefined;
  timeoutS: number;
}

const sqldMissing = () => {
  try {
    execFileSync(path.join(root, 'scripts', 'build-sqld.sh'), ['--path'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'needs the sqld binary (scripts/build-sqld.sh, about 20 minutes): skipped';
  }
};
const goMissing = () => {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'needs Go (bench/dataplane is a Go program): skipped';
  }
};
const caddy = path.join(root, 'bin', 'caddy');

const benches: Bench[] = [
  { name: 'wireguard-tunnel', file: 'bench/wireguard-tunnel.ts', args: [], root: true, timeoutS: quick ? 90 : 300 },
  { name: 'gateway-forwarder', file: 'bench/gateway-forwarder.ts', args: [], timeoutS: quick ? 240 : 900 },
  { name: 'gateway-udp', file: 'bench/gateway-udp.ts', args: [], timeoutS: quick ? 90 : 300 },
  { name: 'e2e-throughput', file: 'bench/e2e-throughput.ts', args: [], root: true, timeoutS: quick ? 240 : 600 },
  { name: 'wireguard', file: 'bench/wireguard.ts', args: [], root: true, timeoutS: quick ? 120 : 600 },
  { name: 'gateway-sync', file: 'bench/gateway-sync.ts', args: [quick ? '200' : '1000'], timeoutS: quick ? 120 : 600 },
  { name: 'routes-apply', file: 'bench/routes-apply.ts', args: [], timeoutS: quick ? 180 : 1200 },
  { name: 'scale', file: 'bench/scale.ts', args: [], timeoutS: quick ? 180 : 900 },
  { name: 'snapshot-compile', file: 'bench/snapshot-compile.ts', args: [], timeoutS: quick ? 120 : 600 },
  {
    name: 'dataplane',
    file: 'bench/dataplane',
    go: true,
    // bin/caddy when built (scripts/build-caddy.mjs); otherwise the program builds caddy-module itself
    args: existsSync(caddy) ? ['-caddy', caddy] : [],
    skip: goMissing,
    timeoutS: quick ? 240 : 900,
  },
  {
    name: 'dataplane-access-log',
    file: 'bench/dataplane',
    go: true,
    // the guard rows again with the access log written as the control plane configures it
    args: [...(existsSync(caddy) ? ['-caddy', caddy] : []), '-access-log', '-only', 'guard'],
    skip: goMissing,
    timeoutS: quick ? 120 : 600,
  },
  { name: 'access-log-ingest', file: 'bench/access-log-ingest.ts', args: [], timeoutS: quick ? 150 : 300 },
  {
    name: 'edges-change',
    file: 'bench/edges-change.ts',
    args: quick ? ['1000,5000', '5'] : ['5000,20000', '20'],
    skip: sqldMissing,
    timeoutS: quick ? 420 : 2400,
  },
];

function runOne(bench: Bench, reportFile: string): Promise<string | undefined> {
  if (bench.root && process.getuid?.() !== 0) return Promise.resolve('needs root (network namespaces): skipped');
  const skipped = bench.skip?.();
  if (skipped) return Promise.resolve(skipped);
  const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
  const [command, args] = bench.go
    ? ['go', ['run', '.', ...bench.args, ...(quick ? ['-quick'] : [])]]
    : [tsx, ['--conditions=gatehouse-source', bench.file, ...bench.args, ...(quick ? ['--quick'] : [])]];
  return new Promise((resolve) => {
    const started = Date.now();
    console.error(`\n=== ${bench.name} (${bench.file}) ===`);
    const child = spawn(command, args, {
      cwd: bench.go ? path.join(root, bench.file) : root,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, BENCH_REPORT: reportFile, ...(quick ? { BENCH_QUICK: '1' } : {}) },
      detached: true, // its own process group: a timeout ends it and everything it started
    });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // gone
      }
    }, bench.timeoutS * 1000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const took = `${((Date.now() - started) / 1000).toFixed(0)} s`;
      console.error(`=== ${bench.name}: exit ${code ?? signal} after ${took} ===`);
      resolve(
        code === 0
          ? undefined
          : `exited ${code ?? signal} after ${took}${signal ? ` (timeout ${bench.timeoutS} s)` : ''}`,
      );
    });
  });
}

function fmt(n: number | null | undefined): string {
  // null: a NaN figure after JSON
  if (n == null || Number.isNaN(n)) return '–';
  if (Number.isInteger(n)) return String(n);
  const a = Math.abs(n);
  return a >= 100 ? n.toFixed(0) : a >= 10 ? n.toFixed(1) : n.toFixed(2);
}

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: root,
      encoding: 'utf8',
    });
    return dirty.trim() ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

const machine = () => ({
  cores: os.cpus().length,
  model: os.cpus()[0]?.model ?? '',
  load_average: os.loadavg().map((x) => Math.round(x * 100) / 100),
  node: process.version,
});

const dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-'));
const reportFile = path.join(dir, 'rows.jsonl');
const before = machine();
const started = new Date();
const failures: Record<string, string> = {};
try {
  for (const bench of benches) {
    if (only && !only.includes(bench.name)) continue;
    const failed = await runOne(bench, reportFile);
    if (failed) failures[bench.name] = failed;
  }
  const rows: Measure[] = existsSync(reportFile)
    ? readFileSync(reportFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Measure)
    : [];
  const after = machine();
  const table = [
    ['measure', 'unit', 'ours', 'peer (same run)', 'ratio', 'goal', 'met'],
    ...rows.map((r) => [
      r.measure,
      r.unit,
      fmt(r.ours),
      r.peer === undefined ? '–' : `${fmt(r.peer)} ${r.peerName ?? ''}`.trim(),
      fmt(r.ratio),
      r.goal ?? '–',
      r.met === undefined ? '–' : r.met ? 'yes' : 'NO',
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\nGatehouse benchmarks${quick ? ' (--quick)' : ''}, commit ${commit()}, ${started.toISOString()}`);
  console.log(
    `machine: ${after.cores} cores (${after.model}), node ${after.node}; load average ${before.load_average.join(' ')} at the start, ${after.load_average.join(' ')} at the end`,
  );
  console.log(line(table[0]!));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of table.slice(1)) console.log(line(row));
  for (const r of rows) if (r.note) console.log(`  ${r.measure}: ${r.note}`);
  for (const [name, why] of Object.entries(failures)) console.log(`  ${name}: ${why}`);
  const results = path.join(root, 'bench', 'results');
  mkdirSync(results, { recursive: true });
  appendFileSync(
    path.join(results, 'results.jsonl'),
    `${JSON.stringify({ commit: commit(), started: started.toISOString(), quick, machine: { ...after, load_average_start: before.load_average }, rows, failures })}\n`,
  );
  console.log(`appended to ${path.relative(root, path.join(results, 'results.jsonl'))}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
