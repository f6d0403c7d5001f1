// Benchmark (not a test): the agent's TCP forwarder against `socat -b 262144` doing the same forwarding
// on loopback, measured by the same load process in the same run. Prints throughput (and the ratio),
// 64-byte round-trip latency and connections per second, as medians over interleaved rounds.
// Run: npx tsx --conditions=gatehouse-source bench/gateway-forwarder.ts [GiB per throughput run] (ROUNDS=5, KINDS=socat,gatehouse)
import { type ChildProcess, fork, spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { createTargetGuard, TcpForwarder } from '@gatehouse/agent';
import pino from 'pino';
import { freePort } from '../test/helpers/net.ts';

type Result = { mbps: number; rttP50us: number; rttP99us: number; connPerSec: number; connFailed: number };

// Every wait in the load process is bounded: a stuck phase fails the trial instead of hanging the bench.
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

// The load process: sink/echo target and client in one process, so both forwarders face the same load.
async function loadRole(): Promise<void> {
  const [fwdPort, targetPort, bytes] = process.argv.slice(3).map(Number) as [number, number, number];
  let mode: 'bulk' | 'echo' | 'close' = 'bulk';
  let bulkDone: (ms: number) => void = () => {};
  const target = net.createServer((s) => {
    s.on('error', () => {});
    s.setNoDelay(true);
    if (mode === 'echo') return void s.pipe(s);
    if (mode === 'close') return void s.end();
    let got = 0;
    const t0 = performance.now();
    s.on('data', (c: Buffer) => {
      got += c.length;
      if (got >= bytes) bulkDone(performance.now() - t0);
    });
  });
  await new Promise<void>((resolve) => target.listen(targetPort, '127.0.0.1', resolve));
  process.send!('ready');
  await new Promise((resolve) => process.once('message', resolve));
  const connect = () =>
    new Promise<net.Socket>((resolve, reject) => {
      const c = net.connect({ port: fwdPort, host: '127.0.0.1', noDelay: true }, () => resolve(c));
      c.once('error', reject);
    });
  // Throughput
  const client = await connect();
  const block = Buffer.alloc(256 * 1024, 7);
  const ms = await within(
    60_000,
    'throughput phase',
    new Promise<number>((resolve) => {
      bulkDone = resolve;
      let sent = 0;
      const pump = () => {
        while (sent < bytes) {
          sent += block.length;
          if (!client.write(block)) return void client.once('drain', pump);
        }
      };
      pump();
    }),
  );
  client.destroy();
  // 64-byte round trips on one connection
  mode = 'echo';
  const echo = await connect();
  const msg = Buffer.alloc(64, 1);
  const rtts: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const t = performance.now();
    await within(
      5_000,
      `round trip ${i}`,
      new Promise<void>((resolve) => {
        let got = 0;
        const on = (c: Buffer) => {
          got += c.length;
          if (got >= 64) {
            echo.removeListener('data', on);
            resolve();
          }
        };
        echo.on('data', on);
        echo.write(msg);
      }),
    );
    if (i >= 200) rtts.push((performance.now() - t) * 1000);
  }
  echo.destroy();
  rtts.sort((a, b) => a - b);
  // Connections per second: open, get the target's FIN, close; 20 at a time. A connection that gets no
  // FIN within 3 s counts as failed (and is not counted in the rate): with a full accept queue and SYN
  // cookies the kernel can drop the handshake's last ACK, leaving a client that believes it is connected
  // to a server that has no trace of it, and nothing would ever end that wait.
  mode = 'close';
  const total = 1000;
  let next = 0;
  let ok = 0;
  let connFailed = 0;
  const c0 = performance.now();
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next++ < total) {
        let s: net.Socket | undefined;
        try {
          s = await within(3_000, 'connect', connect());
          const sock = s;
          // Done when the target's FIN arrives through the forwarder (socat lingers on close; we do not wait for it).
          await within(
            3_000,
            'FIN from target',
            new Promise((resolve) => {
              sock.on('data', () => {});
              sock.on('error', () => {});
              sock.once('end', resolve);
              sock.once('close', resolve);
            }),
          );
          ok++;
        } catch {
          connFailed++;
        } finally {
          s?.destroy();
        }
      }
    }),
  );
  const connPerSec = ok / ((performance.now() - c0) / 1000);
  const result: Result = {
    mbps: bytes / 1e6 / (ms / 1000),
    rttP50us: rtts[Math.floor(rtts.length / 2)]!,
    rttP99us: rtts[Math.floor(rtts.length * 0.99)]!,
    connPerSec,
    connFailed,
  };
  target.close();
  // Exit only once the result has left: exiting right after send() can lose it.
  process.send!(result, () => process.exit(0));
}

async function waitListening(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.destroy();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listening on ${port}`);
}

type Kind = 'gatehouse' | 'socat';

async function trial(kind: Kind, bytes: number): Promise<Result> {
  const [fwdPort, targetPort] = [await freePort(), await freePort()];
  const load: ChildProcess = fork(fileURLToPath(import.meta.url), [
    'load',
    String(fwdPort),
    String(targetPort),
    String(bytes),
  ]);
  await new Promise((resolve) => load.once('message', resolve));
  let stop: () => Promise<void>;
  if (kind === 'socat') {
    const child = spawn(
      'socat',
      [
        '-b',
        '262144',
        '-t',
        '0.1',
        // backlog=511 as Node's listen() uses: socat's default of 5 overflows at 20 concurrent dials, and
        // the kernel then silently drops SYN-cookie handshakes (the connections/s phase used to hang on it).
        `TCP-LISTEN:${fwdPort},bind=127.0.0.1,reuseaddr,backlog=511,fork`,
        `TCP:127.0.0.1:${targetPort},nodelay=1`,
      ],
      { stdio: 'ignore' },
    );
    stop = async () => {
      child.kill('SIGKILL');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    };
  } else {
    const fwd = new TcpForwarder({
      routeId: 'bench',
      listen: { host: '127.0.0.1', port: fwdPort },
      target: { host: '127.0.0.1', port: targetPort },
      guard: createTargetGuard({ ownPorts: () => new Set([fwdPort]) }),
      logger: pino({ level: 'silent' }),
    });
    await fwd.start();
    stop = () => fwd.stop();
  }
  try {
    await waitListening(fwdPort);
    const result = new Promise<Result>((resolve, reject) => {
      load.once('message', (m) => resolve(m as Result));
      load.once('exit', (code) => reject(new Error(`load process exited with ${code}`)));
    });
    load.send('go');
    const timeout = setTimeout(() => load.kill('SIGKILL'), 180_000);
    try {
      return await result;
    } finally {
      clearTimeout(timeout);
    }
  } finally {
    load.kill('SIGKILL');
    await stop();
  }
}

async function main(): Promise<void> {
  const gib = Number(process.argv[2] ?? 1);
  const bytes = Math.round(gib * 1024 ** 3);
  const rounds = Number(process.env.ROUNDS ?? 5);
  const kinds = (process.env.KINDS?.split(',') ?? ['socat', 'gatehouse']) as Kind[];
  const runs: Record<Kind, Result[]> = { gatehouse: [], socat: [] };
  // Interleaved rounds, alternating which goes first, so a noisy neighbour on the machine hits both alike.
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? kinds : [...kinds].reverse();
    for (const kind of order) {
      const r = await trial(kind, bytes);
      runs[kind].push(r);
      console.error(
        `round ${i + 1}/${rounds} ${kind}: ${Math.round(r.mbps)} MB/s, rtt64 p50 ${Math.round(r.rttP50us)} µs ` +
          `p99 ${Math.round(r.rttP99us)} µs, ${Math.round(r.connPerSec)} conn/s (${r.connFailed} failed)`,
      );
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const summarize = (rs: Result[]) => ({
    throughput_MBps: Math.round(median(rs.map((r) => r.mbps))),
    rtt64_p50_us: Math.round(median(rs.map((r) => r.rttP50us))),
    rtt64_p99_us: Math.round(median(rs.map((r) => r.rttP99us))),
    connections_per_s: Math.round(median(rs.map((r) => r.connPerSec))),
    connections_failed_total: rs.reduce((n, r) => n + r.connFailed, 0),
  });
  const out: Record<string, unknown> = { bytes_per_throughput_run: bytes, rounds, medians_of: rounds };
  for (const kind of kinds) out[kind] = summarize(runs[kind]);
  console.log(JSON.stringify(out, null, 2));
  if (runs.gatehouse.length === 0 || runs.socat.length === 0) return;
  const g = summarize(runs.gatehouse);
  const s = summarize(runs.socat);
  // Per-round ratios too: the two variants of one round ran back to back, so these show the spread.
  const ratios = runs.gatehouse.map((r, i) => r.mbps / runs.socat[i]!.mbps);
  const perRound = `${ratios.map((x) => x.toFixed(2)).join(' ')}, median ${median(ratios).toFixed(2)}`;
  console.log(
    `throughput ratio gatehouse/socat (medians): ${(g.throughput_MBps / s.throughput_MBps).toFixed(2)} (goal >= 0.8; per round: ${perRound}); ` +
      `rtt64 p50 ratio: ${(g.rtt64_p50_us / s.rtt64_p50_us).toFixed(2)}, p99 ratio: ${(g.rtt64_p99_us / s.rtt64_p99_us).toFixed(2)} (lower is better); ` +
      `conn/s ratio: ${(g.connections_per_s / s.connections_per_s).toFixed(2)}`,
  );
}

if (process.argv[2] === 'load') await loadRole();
else await main();
