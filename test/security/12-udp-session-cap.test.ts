// Item 12 of issue 13: UDP sessions of the data plane had no cap (one address pushed Caddy to 18,076 of 20,000
// descriptors). Sessions are now capped per source address (default 64) and per route (default 1024), drops are
// counted in gatehouse_udp_sessions_dropped_total, and idle sessions give their place back
// (caddy-module/udp_limits.go; the Go test TestUDPSessionCaps covers the route cap and many sources).
// Real: the control plane in-process, the real Caddy binary, UDP sockets on loopback, Caddy's /proc fd table.
// Simulated: nothing.
import dgram from 'node:dgram';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, udpEcho } from '../helpers/net.ts';
import { type Stack, startStack } from '../helpers/stack.ts';

let stack: Stack;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  stack = await startStack();
}, 60_000);
afterAll(async () => {
  for (const close of closers) await close().catch(() => {});
  await stack?.stop();
});

const caddyFds = () => readdirSync(`/proc/${stack.server.caddy!.status().pid}/fd`).length;

/** Sends one datagram from each of `n` new sockets (new source ports) and counts the answers within 1.5 s. */
async function flood(port: number, n: number): Promise<number> {
  const sockets: dgram.Socket[] = [];
  let answered = 0;
  try {
    for (let i = 0; i < n; i++) {
      const s = dgram.createSocket('udp4');
      s.on('message', () => answered++);
      s.on('error', () => {});
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
      s.send(`hi${i}`, port, '127.0.0.1');
      sockets.push(s);
    }
    await new Promise((r) => setTimeout(r, 1500));
    return answered;
  } finally {
    for (const s of sockets) s.close();
  }
}

describe('UDP sessions', () => {
  it('caps the sessions one source address can open, counts the drops, and keeps descriptors bounded', async () => {
    const echo = await udpEcho('e:');
    closers.push(echo.close);
    const port = await freePort();
    const res = await stack.request('POST', '/api/v1/routes', {
      type: 'l4',
      l4_protocol: 'udp',
      l4_listen_port: port,
      target_host: '127.0.0.1',
      target_port: echo.port,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const base = caddyFds();

    const answered = await flood(port, 300);
    expect(answered).toBe(64);
    // one upstream socket per session at most, plus a little slack for Caddy's own
    expect(caddyFds() - base).toBeLessThanOrEqual(64 + 10);

    const metrics = String((await stack.server.caddy!.admin.request<string>('GET', '/metrics')).body);
    const m = new RegExp(
      `gatehouse_udp_sessions_dropped_total\\{reason="source_limit",route="${res.body.id}"\\} (\\d+)`,
    ).exec(metrics);
    expect(Number(m?.[1])).toBe(300 - 64);
  }, 60_000);
});
