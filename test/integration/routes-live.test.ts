// Real: the control plane in-process, the real Caddy binary (caddy + caddy-l4 + gatehouse) under supervision,
// the REST API over a real socket, TLS from Caddy's internal CA, upstream servers and clients on loopback.
// Simulated: nothing — only the ports (high free ports instead of 80/443) and the CA (internal, not ACME).
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoServer, freePort, tcpRoundTrip, tcpServer, udpEcho, udpRoundTrip } from '../helpers/net.ts';
import { httpsGet, type Stack, selfSignedCert, startStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait.ts';

let stack: Stack;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  for (const close of closers) await close().catch(() => {});
  await stack?.stop();
});

async function upstreamHttp(name: string) {
  const server = await tcpServer((socket) => {
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString();
      if (!buf.includes('\r\n\r\n')) return;
      const body = JSON.stringify({ name, request: buf.split('\r\n\r\n')[0] });
      socket.end(
        `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
  });
  closers.push(server.close);
  return server;
}

async function create(body: Record<string, unknown>) {
  const res = await stack.request('POST', '/api/v1/routes', body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.data_plane).toBe('applied');
  return res.body;
}

describe('routes through the real Caddy', () => {
  it('serves an HTTP route over HTTPS with an on-demand certificate, and passes custom headers literally', async () => {
    const app = await upstreamHttp('app');
    await create({
      domain: 'app.gatehouse.test',
      target_host: '127.0.0.1',
      target_port: app.port,
      custom_headers: [{ name: 'X-Probe', value: '{env.HOME}', direction: 'request' }],
    });
    const res = await httpsGet(stack, 'app.gatehouse.test');
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body) as { name: string; request: string };
    expect(body.name).toBe('app');
    expect(body.request).toMatch(/x-probe: \{env\.HOME\}/i);
    const unknown = await httpsGet(stack, 'app.gatehouse.test', '/', {}).then(() =>
      httpsGet(stack, 'app.gatehouse.test'),
    );
    expect(unknown.status).toBe(200);
  });

  it('refuses a TLS handshake for a name that no route has (on-demand permission)', async () => {
    await expect(httpsGet(stack, 'nobody.gatehouse.test')).rejects.toThrow();
  });

  it('forwards an L4 TCP route and a UDP route', async () => {
    const echo = await echoServer('tcp:');
    const uecho = await udpEcho('udp:');
    closers.push(echo.close, uecho.close);
    const [tcpPort, udpPort] = [await freePort(), await freePort()];
    await create({ type: 'l4', l4_listen_port: tcpPort, target_host: '127.0.0.1', target_port: echo.port });
    await create({
      type: 'l4',
      l4_protocol: 'udp',
      l4_listen_port: udpPort,
      target_host: '127.0.0.1',
      target_port: uecho.port,
    });
    expect(await tcpRoundTrip(tcpPort, 'hello')).toBe('tcp:hello');
    expect(await udpRoundTrip(udpPort, 'ping')).toBe('udp:ping');
  });

  it('maps a port range 1:1 with offset onto the target range', async () => {
    const base = await freePort();
    const targets = await Promise.all([0, 1, 2].map((i) => echoServer(`t${i}:`)));
    closers.push(...targets.map((t) => t.close));
    // Consecutive target ports are needed for a range; find three free listen ports in a row.
    const listenStart = await consecutiveFreePorts(3, base + 100);
    const targetStart = await consecutiveFreePorts(3, listenStart + 50);
    const realTargets = await Promise.all([0, 1, 2].map((i) => listenOn(targetStart + i, `r${i}:`)));
    closers.push(...realTargets);
    await create({
      type: 'l4',
      l4_listen_port: `${listenStart}-${listenStart + 2}`,
      target_host: '127.0.0.1',
      target_port: targetStart,
    });
    for (const i of [0, 1, 2]) expect(await tcpRoundTrip(listenStart + i, 'x')).toBe(`r${i}:x`);
  });

  it('tells two passthrough routes on one port apart by SNI, and terminate hands plain TCP to the target', async () => {
    const shared = await freePort();
    for (const name of ['a.passthrough.test', 'b.passthrough.test']) {
      const cert = selfSignedCert(stack.dir, name);
      const server = tls.createServer({ ...cert }, (socket) => socket.end(`I am ${name}`));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      closers.push(() => new Promise((r) => server.close(() => r())));
      await create({
        type: 'l4',
        l4_tls_mode: 'passthrough',
        l4_listen_port: shared,
        domain: name,
        target_host: '127.0.0.1',
        target_port: (server.address() as net.AddressInfo).port,
      });
    }
    for (const name of ['a.passthrough.test', 'b.passthrough.test']) {
      expect(await tlsRead(shared, name, { rejectUnauthorized: false })).toBe(`I am ${name}`);
    }

    const plain = await echoServer('plain:');
    closers.push(plain.close);
    const terminatePort = await freePort();
    await create({
      type: 'l4',
      l4_tls_mode: 'terminate',
      l4_listen_port: terminatePort,
      domain: 'term.gatehouse.test',
      target_host: '127.0.0.1',
      target_port: plain.port,
    });
    expect(await tlsRoundTrip(terminatePort, 'term.gatehouse.test', 'hi', { ca: stack.caRoot() })).toBe('plain:hi');
  });

  it('sends PROXY protocol v2 to a target that parses it', async () => {
    let header: { version: number; src: string; srcPort: number } | undefined;
    const target = await tcpServer((socket) => {
      socket.once('data', (d) => {
        header = parseProxyV2(d);
        socket.end('ok');
      });
    });
    closers.push(target.close);
    const port = await freePort();
    await create({
      type: 'l4',
      l4_listen_port: port,
      proxy_protocol: 'v2',
      target_host: '127.0.0.1',
      target_port: target.port,
    });
    const client = net.connect(port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    const localPort = client.localPort;
    client.write('payload');
    await new Promise((r) => client.once('data', r));
    client.destroy();
    expect(header).toEqual({ version: 2, src: '127.0.0.1', srcPort: localPort });
  });

  it('changes traffic on edit without a Caddy reload and without cutting an open connection on another route', async () => {
    const echoA = await echoServer('A:');
    const echoB = await echoServer('B:');
    const longLived = await echoServer('L:');
    closers.push(echoA.close, echoB.close, longLived.close);
    const [edited, steady] = [await freePort(), await freePort()];
    const route = await create({
      type: 'l4',
      l4_listen_port: edited,
      target_host: '127.0.0.1',
      target_port: echoA.port,
    });
    await create({ type: 'l4', l4_listen_port: steady, target_host: '127.0.0.1', target_port: longLived.port });
    const etag = await stack.configEtag();

    const open = net.connect(steady, '127.0.0.1');
    await new Promise((r) => open.once('connect', r));
    let closed = false;
    open.on('close', () => (closed = true));
    const say = (msg: string) =>
      new Promise<string>((r) => {
        open.once('data', (d) => r(d.toString()));
        open.write(msg);
      });
    expect(await say('1')).toBe('L:1');

    expect(await tcpRoundTrip(edited, 'x')).toBe('A:x');
    const res = await stack.request('PUT', `/api/v1/routes/${route.id}`, { target_port: echoB.port });
    expect(res.status).toBe(200);
    expect(res.body.data_plane).toBe('applied');
    expect(await tcpRoundTrip(edited, 'y')).toBe('B:y');
    // More churn: a new route on a new port, then delete it.
    const extra = await create({
      type: 'l4',
      l4_listen_port: await freePort(),
      target_host: '127.0.0.1',
      target_port: echoA.port,
    });
    expect((await stack.request('DELETE', `/api/v1/routes/${extra.id}`)).status).toBe(200);

    expect(await say('2')).toBe('L:2');
    expect(closed).toBe(false);
    expect(await stack.configEtag()).toBe(etag);
    open.destroy();
  });

  it('rolls back when Caddy rejects the snapshot: database and data plane stay as they were', async () => {
    const squatter = await tcpServer(() => {});
    closers.push(squatter.close);
    const before = await stack.request('GET', '/api/v1/routes?limit=500');
    const stateBefore = await stack.server.caddy!.admin.request<{ version: number }>('GET', '/gatehouse/v1/state');
    // The port is free in our database but taken on the machine: only the data plane can notice.
    const res = await stack.request('POST', '/api/v1/routes', {
      type: 'l4',
      l4_listen_port: squatter.port,
      target_host: '127.0.0.1',
      target_port: 9,
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('upstream_rejected');
    expect(JSON.stringify(res.body.error.data_plane_errors)).toContain(String(squatter.port));
    const after = await stack.request('GET', '/api/v1/routes?limit=500');
    expect(after.body.pagination.total).toBe(before.body.pagination.total);
    const stateAfter = await stack.server.caddy!.admin.request<{ version: number }>('GET', '/gatehouse/v1/state');
    expect(stateAfter.body.version).toBe(stateBefore.body.version);
  });

  it('accepts changes while Caddy is down and makes all of them live within 2 s of its return', async () => {
    const echo = await echoServer('late:');
    closers.push(echo.close);
    const ports = [await freePort(), await freePort(), await freePort()];
    await stack.server.caddy!.stop();
    for (const port of ports) {
      const res = await stack.request('POST', '/api/v1/routes', {
        type: 'l4',
        l4_listen_port: port,
        target_host: '127.0.0.1',
        target_port: echo.port,
      });
      expect(res.status).toBe(201);
      expect(res.body.data_plane).toBe('pending');
    }
    // Health details need a login (the public /healthz says up or down only).
    const health = (await stack.request('GET', '/api/v1/health')).body as { config: { pending: boolean } };
    await waitFor(
      'the health details to report pending',
      async () => {
        const h = (await stack.request('GET', '/api/v1/health')).body as { config: { pending: boolean } };
        return h.config.pending ? true : undefined;
      },
      3000,
    ).catch(() => expect(health.config.pending).toBe(true));

    await stack.server.caddy!.start();
    const back = Date.now();
    await waitFor(
      'all three routes live',
      async () => {
        for (const port of ports)
          if ((await tcpRoundTrip(port, 'p', 500).catch(() => '')) !== 'late:p') return undefined;
        return true;
      },
      5000,
    );
    expect(Date.now() - back).toBeLessThan(2000);
  });
});

async function consecutiveFreePorts(count: number, from: number): Promise<number> {
  for (let start = from; start < 60000; start += count) {
    const ok = await Promise.all(Array.from({ length: count }, (_, i) => portFree(start + i)));
    if (ok.every(Boolean)) return start;
  }
  throw new Error('no consecutive free ports');
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function listenOn(port: number, prefix: string): Promise<() => Promise<void>> {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.on('data', (d) => s.write(prefix + d.toString()));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return () => new Promise((r) => server.close(() => r()));
}

function tlsRead(port: number, servername: string, opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const s = tls.connect({ host: '127.0.0.1', port, servername, ...opts });
    s.setEncoding('utf8');
    s.on('data', (d: string) => (out += d));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

function tlsRoundTrip(port: number, servername: string, message: string, opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername, ...opts }, () => s.write(message));
    s.once('data', (d) => {
      s.end();
      resolve(d.toString());
    });
    s.on('error', reject);
  });
}

function parseProxyV2(buf: Buffer): { version: number; src: string; srcPort: number } | undefined {
  const signature = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
  if (!buf.subarray(0, 12).equals(signature)) return undefined;
  const version = buf[12]! >> 4;
  if (buf[13] !== 0x11) return undefined; // TCP over IPv4
  const src = [...buf.subarray(16, 20)].join('.');
  return { version, src, srcPort: buf.readUInt16BE(24) };
}
