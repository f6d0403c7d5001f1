// Benchmark (not a test): the agent's UDP forwarder against socat's UDP forwarding (UDP4-LISTEN,fork →
// UDP4), on loopback, at a fixed packet rate with 64- and 1,200-byte datagrams: loss and round-trip latency
// through an echo target. The load (client and echo target) runs in a child process, the same for both;
// interleaved rounds, medians. Run: npx tsx --conditions=gatehouse-source bench/gateway-udp.ts [--quick]
// (RATE=2000 packets/s, SECONDS=5, ROUNDS=3)
import { type ChildProcess, fork, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { createTargetGuard, UdpForwarder } from '@gatehouse/agent';
import pino from 'pino';
import { freePort } from '../test/helpers/net.ts';
import { median, quantile, quick, report } from './lib/report.ts';

const RATE = Number(process.env.RATE ?? 2000);
const SECONDS = Number(process.env.SECONDS ?? (quick ? 2 : 5));
const ROUNDS = Number(process.env.ROUNDS ?? (quick ? 2 : 3));
const SIZES = [64, 1200];
type Result = { sent: number; received: number; p50us: number; p99us: number };

async function loadRole(): Promise<void> {
  const [fwdPort, targetPort, size] = process.argv.slice(3).map(Number) as [number, number, number];
  const target = dgram.createSocket('udp4');
  target.on('message', (msg, rinfo) => target.send(msg, rinfo.port, rinfo.address));
  await new Promise<void>((resolve) => target.bind(targetPort, '127.0.0.1', resolve));
  process.send!('ready');
  await new Promise((resolve) => process.once('message', resolve));
  const client = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
  const rtts: number[] = [];
  let received = 0;
  client.on('message', (msg) => {
    received++;
    rtts.push(Number(process.hrtime.bigint() - msg.readBigUInt64BE(0)) / 1000);
  });
  const packet = Buffer.alloc(size, 3);
  let sent = 0;
  const total = RATE * SECONDS;
  const t0 = performance.now();
  // A fixed rate: every millisecond, as many as are due by now.
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * RATE));
      while (sent < due) {
        packet.writeBigUInt64BE(process.hrtime.bigint(), 0);
        client.send(packet, fwdPort, '127.0.0.1');
        sent++;
      }
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  await new Promise((resolve) => setTimeout(resolve, 500)); // the last replies
  const result: Result = { sent, received, p50us: quantile(rtts, 0.5), p99us: quantile(rtts, 0.99) };
  client.close();
  target.close();
  process.send!(result, () => process.exit(0));
}

type Kind = 'gatehouse' | 'socat';

async function trial(kind: Kind, size: number): Promise<Result> {
  const [fwdPort, targetPort] = [await freePort(), await freePort()];
  const load: ChildProcess = fork(fileURLToPath(import.meta.url), [
    'load',
    String(fwdPort),
    String(targetPort),
    String(size),
  ]);
  await new Promise((resolve) => load.once('message', resolve));
  let stop: () => Promise<void>;
  if (kind === 'socat') {
    const child = spawn(
      'socat',
      ['-T', '10', `UDP4-LISTEN:${fwdPort},bind=127.0.0.1,reuseaddr,fork`, `UDP4:127.0.0.1:${targetPort}`],
      { stdio: 'ignore' },
    );
    stop = async () => {
      child.kill('SIGKILL');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    };
    await new Promise((resolve) => setTimeout(resolve, 300));
  } else {
    const fwd = new UdpForwarder({
      routeId: 'bench',
      listen: { host: '127.0.0.1', port: fwdPort },
      target: { host: '127.0.0.1', port: targetPort },
      guard: createTargetGuard({ ownPorts: () => new Set([fwdPort]), policy: () => ({ allowLoopback: true }) }),
      logger: pino({ level: 'silent' }),
    });
    await fwd.start();
    stop = () => fwd.stop();
  }
  try {
    const result = new Promise<Result>((resolve, reject) => {
      load.once('message', (m) => resolve(m as Result));
      load.once('exit', (code) => reject(new Error(`load process exited with ${code}`)));
    });
    load.send('go');
    const timer = setTimeout(() => load.kill('SIGKILL'), (SECONDS + 30) * 1000);
    try {
      return await result;
    } finally {
      clearTimeout(timer);
    }
  } finally {
    load.kill('SIGKILL');
    await stop();
  }
}

async function main(): Promise<void> {
  const rows = [];
  for (const size of SIZES) {
    const runs: Record<Kind, Result[]> = { gatehouse: [], socat: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const kind of (r % 2 === 0 ? ['socat', 'gatehouse'] : ['gatehouse', 'socat']) as Kind[]) {
        const res = await trial(kind, size);
        runs[kind].push(res);
        console.error(
          `${size} B round ${r + 1}/${ROUNDS} ${kind}: ${res.received}/${res.sent} back, rtt p50 ${res.p50us.toFixed(0)} µs p99 ${res.p99us.toFixed(0)} µs`,
        );
      }
    }
    const loss = (rs: Result[]) => median(rs.map((x) => 1 - x.received / x.sent)) * 100;
    const p50 = (rs: Result[]) => median(rs.map((x) => x.p50us));
    const p99 = (rs: Result[]) => median(rs.map((x) => x.p99us));
    const g = runs.gatehouse;
    const s = runs.socat;
    const peerName = 'socat UDP4-LISTEN,fork';
    const rttRatio = median(g.map((x, i) => x.p50us / s[i]!.p50us));
    console.log(
      `UDP ${size} B at ${RATE}/s: loss ${loss(g).toFixed(2)}% vs socat ${loss(s).toFixed(2)}%; rtt p50 ${p50(g).toFixed(0)} vs ${p50(s).toFixed(0)} µs, p99 ${p99(g).toFixed(0)} vs ${p99(s).toFixed(0)} µs`,
    );
    rows.push(
      {
        measure: `forwarder UDP ${size} B at ${RATE}/s, loss`,
        unit: '%',
        ours: loss(g),
        peer: loss(s),
        peerName,
        goal: 'loss ≤ peer + 0.1',
        met: loss(g) <= loss(s) + 0.1,
      },
      {
        measure: `forwarder UDP ${size} B at ${RATE}/s, RTT p50`,
        unit: 'µs',
        ours: p50(g),
        peer: p50(s),
        peerName,
        ratio: rttRatio,
      },
      {
        measure: `forwarder UDP ${size} B at ${RATE}/s, RTT p99`,
        unit: 'µs',
        ours: p99(g),
        peer: p99(s),
        peerName,
        ratio: p99(g) / p99(s),
      },
    );
  }
  report(rows);
}

if (process.argv[2] === 'load') await loadRole();
else await main();
