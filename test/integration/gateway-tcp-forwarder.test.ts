// Real: TcpForwarder with real TCP sockets on 127.0.0.1 (client → forwarder → target), the target guard,
// fd counts from /proc/self/fd. Simulated: the LAN target (servers in this process; a stopped child
// process with a full accept queue stands in for a host that never answers).
import { createHash, randomBytes } from 'node:crypto';
import type net from 'node:net';
import { createTargetGuard, TcpForwarder, type TcpForwarderOptions } from '@gatehouse/agent';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../helpers/env.ts';
import { collect, connect, echoServer, fdCount, freePort, silentTarget, tcpServer } from '../helpers/net.ts';

// The LAN targets here are loopback services: the agent's own allow_loopback_targets setting.
const loopbackTargets = () => ({ allowLoopback: true });

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function forwarder(target: { host?: string; port: number }, extra: Partial<TcpForwarderOptions> = {}) {
  const own = new Set<number>();
  const fwd = new TcpForwarder({
    routeId: 'r1',
    listen: { host: '127.0.0.1', port: 0 },
    target: { host: target.host ?? '127.0.0.1', port: target.port },
    guard: createTargetGuard({ ownPorts: () => own, policy: loopbackTargets }),
    logger: silentLogger,
    ...extra,
  });
  await fwd.start();
  own.add(fwd.port);
  cleanups.push(() => fwd.stop());
  return fwd;
}

function track<T extends { close: () => Promise<void> }>(thing: T): T {
  cleanups.push(() => thing.close());
  return thing;
}

describe('TcpForwarder', () => {
  it('carries 1 GiB client → target with a matching SHA-256', async () => {
    const target = track(
      await tcpServer(
        (socket) => {
          const hash = createHash('sha256');
          let bytes = 0;
          socket.on('data', (c: Buffer) => {
            hash.update(c);
            bytes += c.length;
          });
          socket.on('end', () => socket.end(`${bytes} ${hash.digest('hex')}`));
        },
        { allowHalfOpen: true },
      ),
    );
    const fwd = await forwarder({ port: target.port });
    const client = await connect(fwd.port, { allowHalfOpen: true });
    const reply = collect(client);
    const block = randomBytes(1 << 20);
    const sent = createHash('sha256');
    const total = 1024;
    for (let i = 0; i < total; i++) {
      // A counter in each block: a dropped or repeated block changes the digest.
      block.writeUInt32BE(i, 0);
      sent.update(block);
      if (!client.write(Buffer.from(block))) await new Promise((resolve) => client.once('drain', resolve));
    }
    client.end();
    const { data, error } = await reply;
    expect(error).toBeUndefined();
    expect(data.toString()).toBe(`${total * (1 << 20)} ${sent.digest('hex')}`);
    expect(fwd.stats.bytesUp).toBe(total * (1 << 20));
  }, 120_000);

  it('carries 256 MiB target → client intact to a client that reads slowly (the reused read buffer)', async () => {
    // Target → client is read into recycled buffers (relay.ts); a write the kernel does not take
    // whole keeps pointing into it. A slow reader forces exactly that: any overwrite changes the digest.
    const sent = createHash('sha256');
    const total = 256;
    const target = track(
      await tcpServer(async (socket) => {
        const block = randomBytes(1 << 20);
        for (let i = 0; i < total; i++) {
          block.writeUInt32BE(i, 0);
          sent.update(block);
          if (!socket.write(Buffer.from(block))) await new Promise((resolve) => socket.once('drain', resolve));
        }
        socket.end();
      }),
    );
    const fwd = await forwarder({ port: target.port });
    const client = await connect(fwd.port);
    const got = createHash('sha256');
    let bytes = 0;
    await new Promise<void>((resolve, reject) => {
      client.on('data', (c: Buffer) => {
        got.update(c);
        bytes += c.length;
        // Stall now and then so the forwarder's writes to us back up.
        if (bytes % (16 << 20) < c.length) {
          client.pause();
          setTimeout(() => client.resume(), 20);
        }
      });
      client.once('end', resolve);
      client.once('error', reject);
    });
    expect(bytes).toBe(total * (1 << 20));
    expect(got.digest('hex')).toBe(sent.digest('hex'));
    expect(fwd.stats.bytesDown).toBe(total * (1 << 20));
  }, 120_000);

  it('reads a download to a slow client into a few recycled buffers, not a new buffer per read', async () => {
    // A client that keeps stalling makes most of the forwarder's writes queue: each such read used to
    // allocate a fresh 128 KiB buffer (and leave it to the garbage collector). Now the queued buffer is
    // retired until its write is done and then read into again (relay.ts, ReadBufferPool).
    const total = 64;
    const block = randomBytes(1 << 20);
    const target = track(
      await tcpServer(async (socket) => {
        for (let i = 0; i < total; i++) {
          if (!socket.write(block)) await new Promise((resolve) => socket.once('drain', resolve));
        }
        socket.end();
      }),
    );
    const fwd = await forwarder({ port: target.port });
    const allocUnsafe = vi.spyOn(Buffer, 'allocUnsafe');
    try {
      const client = await connect(fwd.port);
      let bytes = 0;
      await new Promise<void>((resolve, reject) => {
        client.on('data', (c: Buffer) => {
          bytes += c.length;
          if (bytes % (2 << 20) < c.length) {
            client.pause();
            setTimeout(() => client.resume(), 5);
          }
        });
        client.once('end', resolve);
        client.once('error', reject);
      });
      expect(bytes).toBe(total * (1 << 20));
      const readBuffers = allocUnsafe.mock.calls.filter(([size]) => size >= 64 * 1024 && size < 1 << 20);
      // Two sockets, each: a small first buffer, the bulk one and at most four spares.
      expect(readBuffers.length).toBeLessThanOrEqual(12);
    } finally {
      allocUnsafe.mockRestore();
    }
  }, 120_000);

  it('carries 256 MiB client → target intact to a target that reads slowly (the reused read buffer)', async () => {
    // The accepted socket reads into recycled buffers too (adoptAccepted): a target that stalls
    // makes the forwarder's writes queue bytes that still point into it; any overwrite changes the digest.
    const total = 256;
    let finish!: (got: { bytes: number; digest: string }) => void;
    const received = new Promise<{ bytes: number; digest: string }>((resolve) => {
      finish = resolve;
    });
    const target = track(
      await tcpServer(
        (socket) => {
          const hash = createHash('sha256');
          let bytes = 0;
          socket.on('data', (c: Buffer) => {
            hash.update(c);
            bytes += c.length;
            if (bytes % (16 << 20) < c.length) {
              socket.pause();
              setTimeout(() => socket.resume(), 20);
            }
          });
          socket.on('end', () => {
            finish({ bytes, digest: hash.digest('hex') });
            socket.end();
          });
        },
        { allowHalfOpen: true },
      ),
    );
    const fwd = await forwarder({ port: target.port });
    const client = await connect(fwd.port, { allowHalfOpen: true });
    const block = randomBytes(1 << 20);
    const sent = createHash('sha256');
    for (let i = 0; i < total; i++) {
      block.writeUInt32BE(i, 0);
      sent.update(block);
      if (!client.write(Buffer.from(block))) await new Promise((resolve) => client.once('drain', resolve));
    }
    client.end();
    const got = await received;
    expect(got.bytes).toBe(total * (1 << 20));
    expect(got.digest).toBe(sent.digest('hex'));
    client.destroy();
  }, 120_000);

  it('passes on what a target says first, before the client sends anything (a banner)', async () => {
    const target = track(await tcpServer((socket) => socket.end('SSH-2.0-banner\r\n')));
    const fwd = await forwarder({ port: target.port });
    const client = await connect(fwd.port);
    const { data, error } = await collect(client);
    expect(error).toBeUndefined();
    expect(data.toString()).toBe('SSH-2.0-banner\r\n');
  });

  it('serves 1,000 concurrent connections', async () => {
    const target = track(await echoServer());
    const fwd = await forwarder({ port: target.port });
    const clients = await Promise.all(Array.from({ length: 1000 }, () => connect(fwd.port)));
    // Every connection is open at once before any of them ends.
    const echoes = clients.map(
      (client, i) =>
        new Promise<string>((resolve, reject) => {
          const want = `hello ${i}\n`;
          let got = '';
          client.on('error', reject);
          client.on('data', (c: Buffer) => {
            got += c.toString();
            if (got.length >= want.length) resolve(got);
          });
          client.write(want);
        }),
    );
    const got = await Promise.all(echoes);
    expect(got).toEqual(clients.map((_, i) => `hello ${i}\n`));
    expect(fwd.stats.connectionsActive).toBe(1000);
    for (const c of clients) c.destroy();
  }, 60_000);

  it('passes a half-close client → target, and the target can still answer', async () => {
    const target = track(
      await tcpServer(
        (socket) => {
          let got = '';
          socket.on('data', (c: Buffer) => {
            got += c.toString();
          });
          socket.on('end', () => socket.end(`you said ${got}`));
        },
        { allowHalfOpen: true },
      ),
    );
    const fwd = await forwarder({ port: target.port });
    const client = await connect(fwd.port, { allowHalfOpen: true });
    const reply = collect(client);
    client.end('ping');
    const { data, error } = await reply;
    expect(error).toBeUndefined();
    expect(data.toString()).toBe('you said ping');
  });

  it('passes a half-close target → client, and the client can still send', async () => {
    let received!: (text: string) => void;
    const atTarget = new Promise<string>((resolve) => {
      received = resolve;
    });
    const target = track(
      await tcpServer(
        (socket) => {
          let got = '';
          socket.end('banner');
          socket.on('data', (c: Buffer) => {
            got += c.toString();
          });
          socket.on('end', () => received(got));
        },
        { allowHalfOpen: true },
      ),
    );
    const fwd = await forwarder({ port: target.port });
    const client = await connect(fwd.port, { allowHalfOpen: true });
    let banner = '';
    client.on('data', (c: Buffer) => {
      banner += c.toString();
    });
    await new Promise((resolve) => client.once('end', resolve));
    expect(banner).toBe('banner');
    client.end('still talking');
    expect(await atTarget).toBe('still talking');
  });

  it('resets the client when the target refuses', async () => {
    const fwd = await forwarder({ port: await freePort() });
    const client = await connect(fwd.port);
    const { error } = await collect(client);
    expect(error?.code).toBe('ECONNRESET');
    expect(fwd.stats.errors['connect_ECONNREFUSED']).toBe(1);
  });

  it('gives up on a silent target after the connect timeout', async () => {
    const silent = track(await silentTarget());
    const fwd = await forwarder({ port: silent.port }, { connectTimeoutMs: 300 });
    const started = Date.now();
    const client = await connect(fwd.port);
    const { error } = await collect(client);
    expect(error?.code).toBe('ECONNRESET');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(fwd.stats.errors['connect_ETIMEDOUT']).toBe(1);
  });

  it('passes a reset from the target on to the client', async () => {
    const target = track(await tcpServer((socket) => socket.once('data', () => socket.resetAndDestroy())));
    const fwd = await forwarder({ port: target.port });
    const client = await connect(fwd.port);
    const done = collect(client);
    client.write('anything');
    const { error } = await done;
    expect(error?.code).toBe('ECONNRESET');
    expect(fwd.stats.errors['target_ECONNRESET']).toBe(1);
  });

  it('closes a connection idle for the idle timeout', async () => {
    const target = track(await echoServer());
    const fwd = await forwarder({ port: target.port }, { idleTimeoutMs: 200 });
    const client = await connect(fwd.port);
    const started = Date.now();
    await collect(client);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(fwd.stats.errors['idle_timeout']).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fwd.socketCount).toBe(0);
  });

  it('refuses link-local and metadata targets and its own port at dial time', async () => {
    for (const host of ['169.254.169.254', '::ffff:169.254.1.1', 'fe80::1']) {
      const fwd = await forwarder({ host, port: 80 });
      const { data } = await collect(await connect(fwd.port));
      expect(data.length).toBe(0);
      expect(fwd.stats.errors['target_refused']).toBe(1);
    }
    const loop = await forwarder({ port: 1 });
    loop.setTarget({ host: '127.0.0.1', port: loop.port });
    await collect(await connect(loop.port));
    expect(loop.stats.errors['target_refused']).toBe(1);
  });

  it('leaves no fd and no listener behind after stop, even mid-transfer and mid-dial', async () => {
    const target = track(await echoServer());
    const silent = track(await silentTarget());
    const before = fdCount();
    const fwd = new TcpForwarder({
      routeId: 'r1',
      listen: { host: '127.0.0.1', port: 0 },
      target: { host: '127.0.0.1', port: target.port },
      guard: createTargetGuard({ ownPorts: () => new Set(), policy: loopbackTargets }),
      logger: silentLogger,
      connectTimeoutMs: 30_000,
    });
    await fwd.start();
    const port = fwd.port;
    const busy: net.Socket[] = [];
    for (let i = 0; i < 20; i++) {
      const c = await connect(port);
      c.on('error', () => {});
      c.on('data', () => {});
      c.write(Buffer.alloc(1 << 20));
      busy.push(c);
    }
    fwd.setTarget({ host: '127.0.0.1', port: silent.port });
    for (let i = 0; i < 5; i++) {
      const c = await connect(port);
      c.on('error', () => {});
      busy.push(c);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fwd.socketCount).toBeGreaterThanOrEqual(45);
    await fwd.stop();
    for (const c of busy) c.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fwd.socketCount).toBe(0);
    expect(fdCount()).toBe(before);
    await expect(connect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
