// Real: the control plane in-process with the real Caddy binary, the gateway agent (Agent: SSE client,
// reconciler, TCP/UDP forwarders) connected over HTTP to the real SSE hub, LAN targets on loopback.
// Simulated: the WireGuard tunnel — the VPN subnet is 127.0.0.0/24 with WireGuard off, so the gateway's
// "tunnel IP" is a loopback address (127.0.0.x) that Caddy reaches directly. test/e2e runs the same path
// through real WireGuard in network namespaces.
import dgram from 'node:dgram';
import type net from 'node:net';
import tls from 'node:tls';
import { Agent, agentConfigSchema } from '@gatehouse/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, tempDir } from '../helpers/env.ts';
import { echoServer, freePort, tcpRoundTrip, tcpServer, udpEcho, udpRoundTrip } from '../helpers/net.ts';
import { httpsGet, type Stack, selfSignedCert, startStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait.ts';

let stack: Stack;
let agent: Agent;
let gateway: { id: number; token: string; tunnel_ip: string };
const closers: (() => Promise<void>)[] = [];
const stateDir = tempDir('gatehouse-agent-');

beforeAll(async () => {
  stack = await startStack({ GATEHOUSE_WG_ADDRESS: '127.0.0.1/24' });
  const peer = await stack.request('POST', '/api/v1/peers', { name: 'gw-home', is_gateway: true });
  expect(peer.status, JSON.stringify(peer.body)).toBe(201);
  const created = await stack.request('POST', '/api/v1/gateways', {
    name: 'home',
    peer_id: peer.body.id,
    lan_networks: ['127.0.0.0/24'],
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  gateway = created.body as typeof gateway;
  agent = new Agent({
    config: agentConfigSchema.parse({
      server: stack.server.url,
      token: gateway.token,
      state_dir: stateDir.dir,
      status_interval_seconds: 1,
      allow_loopback_targets: true,
    }),
    logger: silentLogger,
  });
  await agent.start();
});
afterAll(async () => {
  await agent?.stop();
  for (const close of closers) await close().catch(() => {});
  await stack?.stop();
  stateDir.cleanup();
});

async function createRoute(body: Record<string, unknown>) {
  const res = await stack.request('POST', '/api/v1/routes', {
    target_kind: 'gateway',
    gateway_id: gateway.id,
    ...body,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.data_plane).toBe('applied');
  return res.body;
}

describe('routes through a gateway agent', () => {
  it('an L4 TCP route: Caddy → gateway tunnel IP (same port) → LAN target', async () => {
    const lan = await echoServer('lan:');
    closers.push(lan.close);
    const port = await freePort();
    await createRoute({ type: 'l4', l4_listen_port: port, target_lan_host: '127.0.0.1', target_lan_port: lan.port });
    const answer = await waitFor(
      'the agent to listen and the route to answer',
      async () => {
        const a = await tcpRoundTrip(port, 'ping', 1000).catch(() => undefined);
        return a === 'lan:ping' ? a : undefined;
      },
      10_000,
      100,
    );
    expect(answer).toBe('lan:ping');
  });

  it('a UDP port range, each port to its matching LAN port', async () => {
    const targets = await Promise.all([0, 1, 2].map((i) => udpEcho(`u${i}:`)));
    closers.push(...targets.map((t) => t.close));
    // The LAN ports must be consecutive for a range: use three consecutive free UDP ports for both sides.
    const lanStart = await consecutiveUdp(3, 41000);
    const lanSockets = await Promise.all([0, 1, 2].map((i) => bindUdpEcho(lanStart + i, `r${i}:`)));
    closers.push(...lanSockets);
    const listenStart = await consecutiveUdp(3, lanStart + 10);
    await createRoute({
      type: 'l4',
      l4_protocol: 'udp',
      l4_listen_port: `${listenStart}-${listenStart + 2}`,
      target_lan_host: '127.0.0.1',
      target_lan_port: lanStart,
    });
    for (const i of [0, 1, 2]) {
      const got = await waitFor(
        `udp port ${listenStart + i}`,
        async () => udpRoundTrip(listenStart + i, 'x', 500).catch(() => undefined),
        10_000,
        100,
      );
      expect(got).toBe(`r${i}:x`);
    }
  });

  it('an HTTP route over HTTPS to a LAN app through the gateway, and the API shows the gateway in sync', async () => {
    const app = await tcpServer((socket) => {
      socket.on('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nlan'));
    });
    closers.push(app.close);
    const route = await createRoute({
      domain: 'nas.gateway.test',
      target_lan_host: '127.0.0.1',
      target_lan_port: app.port,
    });
    expect(route.gateway_port).toBeGreaterThanOrEqual(40000);
    const res = await waitFor(
      'the HTTP route through the gateway',
      async () => {
        const r = await httpsGet(stack, 'nas.gateway.test').catch(() => undefined);
        return r?.status === 200 ? r : undefined;
      },
      10_000,
      100,
    );
    expect(res.body).toBe('lan');

    const state = await waitFor(
      'the gateway to report the current version',
      async () => {
        const g = await stack.request('GET', `/api/v1/gateways/${gateway.id}`);
        return g.body.drift === false && g.body.applied_version === g.body.current_version ? g.body : undefined;
      },
      10_000,
      200,
    );
    expect(state.online).toBe(true);
    expect(
      state.listeners.some(
        (l: { route_id: number; state: string }) => l.route_id === route.id && l.state === 'listening',
      ),
    ).toBe(true);
  });

  it('two TLS passthrough routes to the gateway share one server port; the gateway serves each on its own port', async () => {
    const shared = await freePort();
    const created = [];
    for (const name of ['a.gw-sni.test', 'b.gw-sni.test']) {
      const cert = selfSignedCert(stack.dir, name);
      const server = tls.createServer({ ...cert }, (socket) => socket.end(`I am ${name}`));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      closers.push(() => new Promise((r) => server.close(() => r())));
      created.push(
        await createRoute({
          type: 'l4',
          l4_tls_mode: 'passthrough',
          l4_listen_port: shared,
          domain: name,
          target_lan_host: '127.0.0.1',
          target_lan_port: (server.address() as net.AddressInfo).port,
        }),
      );
    }
    expect(created[0]!.gateway_port).not.toBe(created[1]!.gateway_port);
    for (const name of ['a.gw-sni.test', 'b.gw-sni.test']) {
      const got = await waitFor(`SNI ${name}`, () => tlsRead(shared, name).catch(() => undefined), 10_000, 100);
      expect(got).toBe(`I am ${name}`);
    }
  });

  it('a disabled route stops listening on the gateway; the others keep working', async () => {
    const lan = await echoServer('keep:');
    const gone = await echoServer('gone:');
    closers.push(lan.close, gone.close);
    const [keepPort, dropPort] = [await freePort(), await freePort()];
    await createRoute({
      type: 'l4',
      l4_listen_port: keepPort,
      target_lan_host: '127.0.0.1',
      target_lan_port: lan.port,
    });
    const drop = await createRoute({
      type: 'l4',
      l4_listen_port: dropPort,
      target_lan_host: '127.0.0.1',
      target_lan_port: gone.port,
    });
    await waitFor(
      'both routes',
      async () =>
        (await tcpRoundTrip(dropPort, 'a', 500).catch(() => '')) === 'gone:a' &&
        (await tcpRoundTrip(keepPort, 'a', 500).catch(() => '')) === 'keep:a'
          ? true
          : undefined,
      10_000,
      100,
    );
    expect((await stack.request('PUT', `/api/v1/routes/${drop.id}`, { enabled: false })).status).toBe(200);
    await waitFor(
      'the agent to close the disabled route',
      () => (agent.reconciler.applied?.l4_routes.some((r) => r.route_id === drop.id) ? undefined : true),
      10_000,
      100,
    );
    expect(await tcpRoundTrip(keepPort, 'b')).toBe('keep:b');
    await expect(tcpRoundTrip(dropPort, 'b', 1000)).rejects.toThrow();
  });
});

async function consecutiveUdp(count: number, from: number): Promise<number> {
  for (let start = from; start < 60000; start += count) {
    const free = await Promise.all(Array.from({ length: count }, (_, i) => udpFree(start + i)));
    if (free.every(Boolean)) return start;
  }
  throw new Error('no consecutive free UDP ports');
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function bindUdpEcho(port: number, prefix: string): Promise<() => Promise<void>> {
  const s = dgram.createSocket('udp4');
  s.on('message', (msg, rinfo) => s.send(Buffer.from(prefix + msg.toString()), rinfo.port, rinfo.address));
  await new Promise<void>((r) => s.bind(port, '127.0.0.1', r));
  return () => new Promise((r) => s.close(() => r()));
}

function tlsRead(port: number, servername: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let out = '';
    const s = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
    s.setEncoding('utf8');
    s.on('data', (d: string) => (out += d));
    s.on('end', () => resolve(out || undefined));
    s.on('error', reject);
  });
}
