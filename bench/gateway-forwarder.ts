// Benchmark (not a test): the agent's TCP forwarder against `socat -b 262144` doing the same forwarding
// on loopback, measured by the same load process in the same run. Prints throughput (and the ratio),
// 64-byte round-trip latency and connections per second. Run: npx tsx bench/gateway-forwarder.ts [GiB]
import { type ChildProcess, fork, spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { TcpForwarder } from '../src/gateway/forwarders/tcp.ts';
import { createTargetGuard } from '../src/gateway/target-guard.ts';

type Result = { mbps: number; rttP50us: number; rttP99us: number; connPerSec: number };

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
  const ms = await new Promise<number>((resolve) => {
    bulkDone = resolve;
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += block.length;
        if (!client.write(block)) return void client.once('drain', pump);
      }
    };
    pump();
  });
  client.destroy();
  // 64-byte round trips on one connection
  mode = 'echo';
  const echo = await connect();
  const msg = Buffer.alloc(64, 1);
  const rtts: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const t = performance.now();
    await new Promise<void>((resolve) => {
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
    });
    if (i >= 200) rtts.push((performance.now() - t) * 1000);
  }
  echo.destroy();
  rtts.sort((a, b) => a - b);
  // Connections per second: open, get the target's FIN, close; 20 at a time.
  mode = 'close';
  const total = 1000;
  let next = 0;
  const c0 = performance.now();
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next++ < total) {
        const s = await connect();
        // Done when the target's FIN arrives through the forwarder (socat lingers on close; we do not wait for it).
        await new Promise((resolve) => {
          s.on('data', () => {});
          s.once('end', resolve);
          s.once('close', resolve);
        });
        s.destroy();
      }
    }),
  );
  const connPerSec = total / ((performance.now() - c0) / 1000);
  const result: Result = {
    mbps: bytes / 1e6 / (ms / 1000),
    rttP50us: rtts[Math.floor(rtts.length / 2)]!,
    rttP99us: rtts[Math.floor(rtts.length * 0.99)]!,
    connPerSec,
  };
  process.send!(result);
  target.close();
  process.exit(0);
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

async function waitListening(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => (c.destroy(), resolve(true)));
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listening on ${port}`);
}

async function trial(kind: 'gatehouse' | 'socat', bytes: number): Promise<Result> {
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
        `TCP-LISTEN:${fwdPort},bind=127.0.0.1,reuseaddr,fork`,
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
    const timeout = setTimeout(() => load.kill('SIGKILL'), 120_000);
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
  const runs: Record<string, Result[]> = { gatehouse: [], socat: [] };
  // Interleaved, so a noisy neighbour on the machine hits both alike.
  for (let i = 0; i < 3; i++) {
    for (const kind of (process.env.KINDS?.split(',') ?? ['socat', 'gatehouse']) as ('socat' | 'gatehouse')[]) {
      runs[kind]!.push(await trial(kind, bytes));
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const summary = Object.fromEntries(
    Object.entries(runs).map(([k, rs]) => [
      k,
      {
        throughput_MBps: Math.round(median(rs.map((r) => r.mbps))),
        rtt64_p50_us: Math.round(median(rs.map((r) => r.rttP50us))),
        rtt64_p99_us: Math.round(median(rs.map((r) => r.rttP99us))),
        connections_per_s: Math.round(median(rs.map((r) => r.connPerSec))),
      },
    ]),
  ) as unknown as Record<'gatehouse' | 'socat', Record<string, number>>;
  console.log(JSON.stringify({ bytes, runs: 3, ...summary }, null, 2));
  console.log(
    `throughput ratio gatehouse/socat: ${(summary.gatehouse['throughput_MBps']! / summary.socat['throughput_MBps']!).toFixed(2)} (goal >= 0.8); ` +
      `rtt p50 ratio: ${(summary.gatehouse['rtt64_p50_us']! / summary.socat['rtt64_p50_us']!).toFixed(2)}; ` +
      `conn/s ratio: ${(summary.gatehouse['connections_per_s']! / summary.socat['connections_per_s']!).toFixed(2)}`,
  );
}

if (process.argv[2] === 'load') await loadRole();
else await main();
