// Real: UdpForwarder and TcpForwarder with real sockets on 127.0.0.1, Wake-on-LAN packets sent over UDP
// and captured on a UDP socket. Simulated: the LAN (echo servers in this process; the "broadcast" address
// is 127.0.0.1 and the WoL port is the capture socket's, since tests stay on loopback).
import dgram from 'node:dgram';
import dns from 'node:dns';
import { createTargetGuard, TcpForwarder, UdpForwarder, type UdpForwarderOptions } from '@gatehouse/agent';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../helpers/env.ts';
import { collect, connect, freePort, tcpServer } from '../helpers/net.ts';

// The LAN targets here are loopback services: the agent's own allow_loopback_targets setting.
const loopbackTargets = () => ({ allowLoopback: true });

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function udpSocket(port = 0): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', () => resolve()));
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return socket;
}

async function udpEcho(): Promise<{ port: number; peers: Set<number> }> {
  const socket = await udpSocket();
  const peers = new Set<number>();
  socket.on('message', (msg, rinfo) => {
    peers.add(rinfo.port);
    socket.send(msg, rinfo.port, rinfo.address);
  });
  return { port: socket.address().port, peers };
}

async function udpForwarder(targetPort: number, extra: Partial<UdpForwarderOptions> = {}) {
  const fwd = new UdpForwarder({
    routeId: 'u1',
    listen: { host: '127.0.0.1', port: 0 },
    target: { host: '127.0.0.1', port: targetPort },
    guard: createTargetGuard({ ownPorts: () => new Set(), policy: loopbackTargets }),
    logger: silentLogger,
    ...extra,
  });
  await fwd.start();
  cleanups.push(() => fwd.stop());
  return fwd;
}

/** Sends `msg` from `socket` to the forwarder and waits for the first reply (or null after `ms`). */
function roundTrip(socket: dgram.Socket, port: number, msg: string, ms = 1000): Promise<string | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.removeListener('message', onMessage);
      resolve(null);
    }, ms);
    const onMessage = (reply: Buffer) => {
      clearTimeout(timer);
      socket.removeListener('message', onMessage);
      resolve(reply.toString());
    };
    socket.on('message', onMessage);
    socket.send(msg, port, '127.0.0.1');
  });
}

describe('UdpForwarder', () => {
  it('answers clients without a DNS lookup per reply (the address is already an IP)', async () => {
    // dgram sends every datagram to an address through dns.lookup, which answers an IP literal a tick
    // later: one deferred callback per reply. The listener resolves IP literals itself.
    const target = await udpEcho();
    const client = await udpSocket();
    // A dgram socket takes dns.lookup when it is created: the spy sees the forwarder's sockets only.
    const lookup = vi.spyOn(dns, 'lookup');
    try {
      const fwd = await udpForwarder(target.port);
      for (let i = 0; i < 50; i++) expect(await roundTrip(client, fwd.port, `ping ${i}`, 3000)).toBe(`ping ${i}`);
      // The session's upstream socket binds and connects through it once (the target may be a name); the
      // old listener added one per reply (53 here).
      expect(lookup.mock.calls.length).toBeLessThanOrEqual(2);
    } finally {
      lookup.mockRestore();
    }
  });

  it('carries round trips for many clients, each answered on its own session', async () => {
    const target = await udpEcho();
    const fwd = await udpForwarder(target.port);
    const clients = await Promise.all(Array.from({ length: 200 }, () => udpSocket()));
    for (let round = 0; round < 3; round++) {
      const replies = await Promise.all(
        clients.map((c, i) => roundTrip(c, fwd.port, `client ${i} round ${round}`, 3000)),
      );
      expect(replies).toEqual(clients.map((_, i) => `client ${i} round ${round}`));
    }
    expect(fwd.sessionCount).toBe(200);
    expect(target.peers.size).toBe(200);
    expect(fwd.stats.connectionsTotal).toBe(200);
  });

  it('ends idle sessions; the client gets a fresh one on its next datagram', async () => {
    const target = await udpEcho();
    const fwd = await udpForwarder(target.port, { idleTimeoutMs: 150 });
    const client = await udpSocket();
    expect(await roundTrip(client, fwd.port, 'one')).toBe('one');
    expect(fwd.sessionCount).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(fwd.sessionCount).toBe(0);
    expect(await roundTrip(client, fwd.port, 'two')).toBe('two');
    // A new upstream socket, so the target saw a second source port.
    expect(target.peers.size).toBe(2);
  });

  it('caps sessions per route and drops datagrams from clients beyond the cap', async () => {
    const target = await udpEcho();
    const fwd = await udpForwarder(target.port, { maxSessions: 5 });
    const clients = await Promise.all(Array.from({ length: 10 }, () => udpSocket()));
    const first = await Promise.all(clients.slice(0, 5).map((c, i) => roundTrip(c, fwd.port, `in ${i}`)));
    expect(first).toEqual(['in 0', 'in 1', 'in 2', 'in 3', 'in 4']);
    const rest = await Promise.all(clients.slice(5).map((c) => roundTrip(c, fwd.port, 'over', 300)));
    expect(rest).toEqual([null, null, null, null, null]);
    expect(fwd.sessionCount).toBe(5);
    expect(fwd.stats.errors['session_cap']).toBe(5);
  });

  it('refuses a link-local target without forwarding anything', async () => {
    const fwd = await udpForwarder(53, { target: { host: '169.254.169.254', port: 53 } });
    const client = await udpSocket();
    expect(await roundTrip(client, fwd.port, 'x', 300)).toBeNull();
    expect(fwd.stats.errors['target_refused']).toBe(1);
    expect(fwd.sessionCount).toBe(0);
  });
});

describe('Wake-on-LAN', () => {
  it('sends the magic packet when the target refuses, then the retried dial succeeds once it listens', async () => {
    const capture = await udpSocket();
    const packets: Buffer[] = [];
    capture.on('message', (msg) => packets.push(msg));
    const targetPort = await freePort();
    const own = new Set<number>();
    const fwd = new TcpForwarder({
      routeId: 'w1',
      listen: { host: '127.0.0.1', port: 0 },
      target: {
        host: '127.0.0.1',
        port: targetPort,
        wol: { mac: '00:11:22:AA:bb:cc', broadcast: '127.0.0.1', port: capture.address().port },
      },
      guard: createTargetGuard({ ownPorts: () => own, policy: loopbackTargets }),
      logger: silentLogger,
      wolRetryMs: 10_000,
      wolRetryIntervalMs: 100,
    });
    await fwd.start();
    cleanups.push(() => fwd.stop());
    const client = await connect(fwd.port);
    client.write('are you awake?');
    const reply = new Promise<string>((resolve) => client.once('data', (d: Buffer) => resolve(d.toString())));

    for (let i = 0; i < 50 && packets.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(packets).toHaveLength(1);
    const packet = packets[0]!;
    expect(packet.length).toBe(102);
    const mac = [0x00, 0x11, 0x22, 0xaa, 0xbb, 0xcc];
    for (let i = 0; i < 6; i++) expect(packet[i]).toBe(0xff);
    for (let rep = 0; rep < 16; rep++) {
      for (let b = 0; b < 6; b++) expect(packet[6 + rep * 6 + b]).toBe(mac[b]);
    }

    // The "host" wakes up: the target starts listening on the port the forwarder keeps dialling.
    const target = await echoServerOn(targetPort);
    cleanups.push(() => target.close());
    expect(await reply).toBe('are you awake?');
    expect(fwd.stats.errors['connect_ECONNREFUSED']).toBeUndefined();
    client.destroy();
  });

  it('gives up after the bounded retry time and resets the client', async () => {
    const capture = await udpSocket();
    const fwd = new TcpForwarder({
      routeId: 'w2',
      listen: { host: '127.0.0.1', port: 0 },
      target: {
        host: '127.0.0.1',
        port: await freePort(),
        wol: { mac: '001122334455', broadcast: '127.0.0.1', port: capture.address().port },
      },
      guard: createTargetGuard({ ownPorts: () => new Set(), policy: loopbackTargets }),
      logger: silentLogger,
      wolRetryMs: 300,
      wolRetryIntervalMs: 50,
    });
    await fwd.start();
    cleanups.push(() => fwd.stop());
    const started = Date.now();
    const { error } = await collect(await connect(fwd.port));
    expect(error?.code).toBe('ECONNRESET');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(fwd.stats.errors['connect_ECONNREFUSED']).toBe(1);
  });
});

function echoServerOn(port: number) {
  return tcpServer((socket) => socket.pipe(socket), { port });
}

describe('UDP forwarder under a stalled event loop', () => {
  it('keeps a burst of 1,000 datagrams that arrives while the process is busy', async () => {
    // What a descheduled or collecting agent sees: datagrams pile up in the kernel before Node reads any.
    // With the default receive buffer (~270 small datagrams) the kernel dropped the rest.
    const big = { type: 'udp4' as const, recvBufferSize: 8 * 2 ** 20, sendBufferSize: 8 * 2 ** 20 };
    const echo = dgram.createSocket(big);
    echo.on('message', (msg, rinfo) => echo.send(msg, rinfo.port, rinfo.address));
    await new Promise<void>((resolve) => echo.bind(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => echo.close(() => resolve())));
    const client = dgram.createSocket(big);
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => client.close(() => resolve())));
    const fwd = await udpForwarder(echo.address().port);
    expect(await roundTrip(client, fwd.port, 'hello')).toBe('hello'); // the session is set up

    const seen = new Set<number>();
    client.on('message', (msg) => seen.add(msg.readUInt32BE(0)));
    const COUNT = 1000;
    // All sends complete within this tick (loopback, socket buffers large enough): none is read before
    // the loop below has run.
    for (let i = 0; i < COUNT; i++) {
      const packet = Buffer.alloc(64);
      packet.writeUInt32BE(i, 0);
      client.send(packet, fwd.port, '127.0.0.1');
    }
    const busyUntil = Date.now() + 200;
    while (Date.now() < busyUntil) {
      // stall the event loop as a loaded host does
    }
    await expect.poll(() => seen.size, { timeout: 5_000, interval: 20 }).toBe(COUNT);
  });
});
