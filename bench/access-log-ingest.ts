// Benchmark (not a test): can the control plane keep up with the data plane's access log?
// Real: the production AccessLogFollower (src/services/access-log/follower.ts) reading a file into a real
// libSQL file database through the write queue, with its default poll interval and batch size; entries shaped
// exactly as caddy-module/access_log.go writes them. Simulated: Caddy — a child process appends RATE entries
// per second (in 10 ms ticks) for SECONDS seconds, with `ts` set to the moment each line is written.
// Lag per entry: from its `ts` to the commit of the batch that stored it (both Date.now() on one host).
// Run: npx tsx --conditions=gatehouse-source bench/access-log-ingest.ts [--quick]   (RATE=2000 SECONDS=60; 15 s
// with --quick). Goal (issue 17): keeps up at 2,000 entries/s — every entry stored, lag p99 < 1 s.
import { fork } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { createDb, migrateDb } from '../src/db/index.ts';
import { AccessLogFollower } from '../src/services/access-log/follower.ts';
import { quick, report } from './lib/report.ts';

const RATE = Number(process.env.RATE ?? 2000);
const SECONDS = Number(process.env.SECONDS ?? (quick ? 15 : 60));

if (process.argv[2] === 'writer') {
  // The child: Caddy's stand-in. One appendFileSync per tick, as a buffered logger would flush.
  const file = process.argv[3] as string;
  let sent = 0;
  const total = RATE * SECONDS;
  const start = Date.now();
  const tick = () => {
    const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * RATE));
    let chunk = '';
    while (sent < due) {
      const ts = Date.now();
      const deny = sent % 10 === 0;
      chunk += `${JSON.stringify({
        level: 'info',
        ts,
        logger: 'gatehouse.access',
        msg: 'access',
        route: String(1 + (sent % 50)),
        kind: 'http',
        client: `203.0.113.${sent % 250}`,
        country: 'DE',
        asn: '',
        decision: deny ? 'deny' : 'allow',
        check: deny ? 'rule' : '',
        rule: deny ? '#1 deny country CN' : '',
        user: '',
        host: 'app.example.com',
        method: 'GET',
        path: `/items/${sent}`,
        status: deny ? 403 : 200,
        bytes_in: 0,
        bytes_out: 5120,
        duration: 0.0021,
      })}\n`;
      sent++;
    }
    if (chunk) appendFileSync(file, chunk);
    if (sent >= total) return void process.send?.({ done: sent });
    setTimeout(tick, 10);
  };
  tick();
} else {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-ingest-'));
  const file = path.join(dir, 'access.log');
  writeFileSync(file, '');
  const handle = createDb({ url: `file:${path.join(dir, 'bench.db')}` });
  await migrateDb(handle);
  const lags: number[] = [];
  const follower = new AccessLogFollower({
    db: handle.db,
    file,
    logger: pino({ level: 'warn' }),
    onStored: (rows) => {
      const now = Date.now();
      for (const r of rows) lags.push(now - r.at.getTime());
    },
  });
  follower.start();
  const total = RATE * SECONDS;
  console.log(`access-log ingest: ${RATE} entries/s for ${SECONDS} s (${total} entries) → libSQL file`);
  const t0 = Date.now();
  const child = fork(fileURLToPath(import.meta.url), ['writer', file], {
    execArgv: process.execArgv,
    env: { ...process.env, RATE: String(RATE), SECONDS: String(SECONDS) },
  });
  await new Promise<void>((resolve) => child.on('message', () => resolve()));
  const written = Date.now() - t0;
  const deadline = Date.now() + 120_000;
  while (lags.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const caughtUp = Date.now() - t0;
  await follower.stop();
  const s = [...lags].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
  console.log(`  written in ${(written / 1000).toFixed(1)} s, all stored after ${(caughtUp / 1000).toFixed(1)} s`);
  console.log(`  stored ${lags.length}/${total}, skipped lines ${follower.skipped}`);
  console.log(`  lag ms: p50 ${q(0.5)}  p99 ${q(0.99)}  max ${s[s.length - 1]}`);
  const all = lags.length === total;
  const note = `${RATE} entries/s for ${SECONDS} s; stored ${lags.length}/${total}, skipped ${follower.skipped}`;
  report([
    { measure: 'access-log ingestion lag p50', unit: 'ms', ours: q(0.5), note },
    {
      measure: 'access-log ingestion lag p99',
      unit: 'ms',
      ours: q(0.99),
      goal: '< 1000, all stored',
      met: all && q(0.99) < 1000,
    },
    { measure: 'access-log ingestion lag max', unit: 'ms', ours: s[s.length - 1] ?? Number.NaN },
  ]);
  handle.close();
  rmSync(dir, { recursive: true, force: true });
}
