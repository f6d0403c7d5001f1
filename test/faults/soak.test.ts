// Issue 13, load: a soak at a steady mixed load — API writes, HTTPS requests through Caddy to an HTTP route,
// L4 TCP streams and UDP datagrams through Caddy — and afterwards descriptors, goroutines and memory back to
// their baseline. Length from SOAK_SECONDS (default 75 s, the CI form); the full run is 30 minutes:
//   SOAK_SECONDS=1800 npx vitest run test/faults/soak.test.ts
// Real: the whole control plane in-process (startStack) with the real Caddy binary under supervision, the REST
// API over a socket, TLS from Caddy's internal CA, upstreams and clients on 127.0.0.1. Simulated: nothing; the
// load is bounded (fixed concurrency, a deadline, a timeout on every operation).
// Tolerances, after the load stops and a settle period (polled up to SETTLE_MS, UDP sessions idle out in 30 s):
// this process's descriptors +8, Caddy's descriptors +8, Caddy's goroutines +20, Caddy's RSS +50 % and +32 MiB
// at most, this process's heap after a full GC +32 MiB (its RSS is printed: V8 keeps memory it grew).
import dgram from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoServer, fdCount, freePort, tcpServer, udpEcho } from '../helpers/net.ts';
import { httpsGet, type Stack, startStack } from '../helpers/stack.ts';

const SOAK_MS = Number(process.env.SOAK_SECONDS ?? 75) * 1000;
/** Caddy ends idle UDP sessions after 30 s (caddy-module/app.go): the settle period starts past that. */
const MIN_SETTLE_MS = 33_000;
const SETTLE_MS = 60_000;
const MIB = 2 ** 20;

let stack: Stack;
const closers: (() => Promise<void>)[] = [];
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  for (const close of closers) await close().catch(() => {});
  await stack?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function caddyResources(pid: number) {
  const goroutines = await stack.server.caddy!.admin.request<string>('GET', '/debug/pprof/goroutine?debug=1');
  const total = /goroutine profile: total (\d+)/.exec(String(goroutines.body))?.[1];
  if (!total) throw new Error(`no goroutine count from Caddy's admin API: ${String(goroutines.body).slice(0, 200)}`);
  const rssKb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { fds: readdirSync(`/proc/${pid}/fd`).length, goroutines: Number(total), rss: Number(rssKb) * 1024 };
}

// A full GC before reading this process's heap, so a figure means live objects, not V8's lazy collection.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

async function snapshot(pid: number) {
  gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { ...(await caddyResources(pid)), nodeFds: fdCount(), nodeRss: rss, nodeHeap: heapUsed };
}

/** One TCP stream: connect, send 16 KiB in 4 writes, read it all back, close. */
function tcpStream(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const payload = Buffer.alloc(4096, 'x');
    let got = 0;
    const socket = net.connect(port, '127.0.0.1', () => {
      for (let i = 0; i < 4; i++) socket.write(payload);
    });
    const timer = setTimeout(() => socket.destroy(new Error('TCP stream timed out')), 5_000);
    socket.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= 4 * payload.length) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      if (got >= 4 * payload.length) resolve();
      else reject(new Error(`TCP stream got ${got} of ${4 * payload.length} bytes`));
    });
  });
}

/** A long-lived UDP client (one Caddy session): sends a datagram and waits for its echo. */
async function udpClient(port: number) {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  let seq = 0;
  return {
    roundTrip: () =>
      new Promise<void>((resolve, reject) => {
        const want = `u${++seq}`;
        const timer = setTimeout(() => {
          socket.off('message', onMessage);
          reject(new Error('UDP datagram lost'));
        }, 2_000);
        const onMessage = (msg: Buffer) => {
          if (msg.toString() !== `udp:${want}`) return;
          clearTimeout(timer);
          socket.off('message', onMessage);
          resolve();
        };
        socket.on('message', onMessage);
        socket.send(want, port, '127.0.0.1');
      }),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

describe('soak', () => {
  it(
    `holds a steady mixed load for ${SOAK_MS / 1000} s and returns to its baseline`,
    async () => {
      const app = await tcpServer((socket) => {
        let buf = '';
        socket.on('data', (d) => {
          buf += d.toString();
          if (!buf.includes('\r\n\r\n')) return;
          socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
        });
      });
      const echo = await echoServer();
      const uecho = await udpEcho('udp:');
      closers.push(app.close, echo.close, uecho.close);
      const [tcpPort, udpPort] = [await freePort(), await freePort()];
      for (const body of [
        { domain: 'soak.gatehouse.test', target_host: '127.0.0.1', target_port: app.port },
        { type: 'l4', l4_listen_port: tcpPort, target_host: '127.0.0.1', target_port: echo.port },
        { type: 'l4', l4_protocol: 'udp', l4_listen_port: udpPort, target_host: '127.0.0.1', target_port: uecho.port },
      ]) {
        const res = await stack.request('POST', '/api/v1/routes', body);
        expect(res.status, JSON.stringify(res.body)).toBe(201);
      }
      const pid = stack.server.caddy!.status().pid!;
      const udp = [await udpClient(udpPort), await udpClient(udpPort)];

      // Warm up every path once (the certificate is issued on the first handshake), then the baseline.
      expect((await httpsGet(stack, 'soak.gatehouse.test')).status).toBe(200);
      await tcpStream(tcpPort);
      await udp[0]!.roundTrip();
      await sleep(2_000);
      const baseline = await snapshot(pid);

      const counts = { api: 0, http: 0, tcp: 0, udp: 0 };
      const errors: string[] = [];
      const deadline = Date.now() + SOAK_MS;
      /** A worker runs `op` back to back until the deadline, at most one op per `gapMs`. */
      const worker = async (name: keyof typeof counts, op: () => Promise<void>, gapMs: number) => {
        while (Date.now() < deadline) {
          const started = Date.now();
          try {
            await op();
            counts[name]++;
          } catch (err) {
            if (errors.length < 50) errors.push(`${name}: ${(err as Error).message}`);
          }
          await sleep(Math.max(0, gapMs - (Date.now() - started)));
        }
      };
      let scratch = 0;
      const apiWrite = async () => {
        // A scratch route created and deleted: two writes, each one a config push to Caddy.
        const created = await stack.request('POST', '/api/v1/routes', {
          domain: `scratch-${++scratch}.gatehouse.test`,
          target_host: '127.0.0.1',
          target_port: app.port,
        });
        if (created.status !== 201) throw new Error(`POST answered ${created.status}`);
        const deleted = await stack.request('DELETE', `/api/v1/routes/${created.body.id}`);
        if (deleted.status >= 300) throw new Error(`DELETE answered ${deleted.status}`);
      };
      const httpRequest = async () => {
        const res = await httpsGet(stack, 'soak.gatehouse.test');
        if (res.status !== 200) throw new Error(`HTTPS answered ${res.status}`);
      };
      await Promise.all([
        worker('api', apiWrite, 1_000),
        worker('http', httpRequest, 50),
        worker('http', httpRequest, 50),
        worker('tcp', () => tcpStream(tcpPort), 50),
        worker('tcp', () => tcpStream(tcpPort), 50),
        worker('udp', () => udp[0]!.roundTrip(), 20),
        worker('udp', () => udp[1]!.roundTrip(), 20),
      ]);
      for (const u of udp) await u.close();

      // Settle: poll until every measure is within its tolerance, or report the last one.
      const within = (s: typeof baseline) =>
        s.nodeFds <= baseline.nodeFds + 8 &&
        s.fds <= baseline.fds + 8 &&
        s.goroutines <= baseline.goroutines + 20 &&
        s.rss <= Math.min(baseline.rss * 1.5, baseline.rss + 32 * MIB) &&
        s.nodeHeap <= baseline.nodeHeap + 32 * MIB;
      const settleUntil = Date.now() + SETTLE_MS;
      await sleep(MIN_SETTLE_MS);
      let after = await snapshot(pid);
      while (!within(after) && Date.now() < settleUntil) {
        await sleep(1_000);
        after = await snapshot(pid);
      }
      const mib = (n: number) => `${(n / MIB).toFixed(1)} MiB`;
      console.info(
        `soak ${SOAK_MS / 1000} s: ${counts.api} API write pairs, ${counts.http} HTTPS requests, ${counts.tcp} TCP streams, ` +
          `${counts.udp} UDP round trips, ${errors.length} errors. Before → after: node fds ${baseline.nodeFds} → ${after.nodeFds}, ` +
          `caddy fds ${baseline.fds} → ${after.fds}, goroutines ${baseline.goroutines} → ${after.goroutines}, ` +
          `caddy RSS ${mib(baseline.rss)} → ${mib(after.rss)}, node heap ${mib(baseline.nodeHeap)} → ${mib(after.nodeHeap)}, node RSS ${mib(baseline.nodeRss)} → ${mib(after.nodeRss)}`,
      );
      if (after.goroutines > baseline.goroutines + 20) {
        const profile = await stack.server.caddy!.admin.request<string>('GET', '/debug/pprof/goroutine?debug=1');
        console.info(String(profile.body).slice(0, 6_000));
      }
      expect(errors).toEqual([]);
      // Steady means steady: every kind of load ran throughout (at least one op per 2 s per kind).
      for (const n of Object.values(counts)) expect(n).toBeGreaterThan(SOAK_MS / 2_000);
      expect(after.nodeFds).toBeLessThanOrEqual(baseline.nodeFds + 8);
      expect(after.fds).toBeLessThanOrEqual(baseline.fds + 8);
      expect(after.goroutines).toBeLessThanOrEqual(baseline.goroutines + 20);
      expect(after.rss).toBeLessThanOrEqual(Math.min(baseline.rss * 1.5, baseline.rss + 32 * MIB));
      expect(after.nodeHeap).toBeLessThanOrEqual(baseline.nodeHeap + 32 * MIB);
    },
    SOAK_MS + SETTLE_MS + 120_000,
  );
});
