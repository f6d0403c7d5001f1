// Issue 19, what the data plane sees of a pooled route, through the API: each pool member's share of the
// connections/requests and bytes, the gateway of each open L4 connection (and ending one), an HTTP route's recent
// clients. Real: the control plane in-process with the real Caddy binary (caddy-module/traffic.go, clients.go,
// connections.go), two gateway agents (test/helpers/loopback-pool.ts), LAN targets on loopback.
// Simulated: the WireGuard tunnel (the VPN subnet is 127.0.0.0/24, so tunnel addresses are loopback ones).
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LiveConnectionSchema, RecentClientSchema, RouteTrafficSchema } from '../../src/schemas/connections.ts';
import { type LoopbackGateway, loopbackGateways, pooledRoute } from '../helpers/loopback-pool.ts';
import { echoServer, freePort, tcpRoundTrip, tcpServer } from '../helpers/net.ts';
import { httpsGet, type Stack, startStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait.ts';

let stack: Stack;
let pool: Awaited<ReturnType<typeof loopbackGateways>>;
let gateways: LoopbackGateway[];
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  stack = await startStack({ GATEHOUSE_WG_ADDRESS: '127.0.0.1/24' });
  pool = await loopbackGateways(stack, ['site-a', 'site-b']);
  gateways = pool.gateways;
}, 60_000);
afterAll(async () => {
  for (const close of closers) await close().catch(() => {});
  await pool?.stop();
  await stack?.stop();
});

async function traffic(routeId: number) {
  const res = await stack.request('GET', `/api/v1/routes/${routeId}/traffic`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return RouteTrafficSchema.strict().parse(res.body.data);
}
const byGateway = (t: z.infer<typeof RouteTrafficSchema>) => new Map(t.members.map((m) => [m.gateway_id, m] as const));

/** Both members forward: round robin has sent a connection through each one successfully. */
async function bothForwarding(routeId: number, probe: () => Promise<boolean>) {
  await waitFor(
    'both pool members forwarding',
    async () => {
      await probe();
      const t = await traffic(routeId);
      return gateways.every((g) => (byGateway(t).get(g.id)?.bytes_out ?? 0) > 0) ? true : undefined;
    },
    20_000,
    200,
  );
}

describe('pool traffic and live connections from the data plane', () => {
  let l4Route: number;
  let l4Port: number;

  it('counts each member’s connections and bytes, names its gateway and gives its share', async () => {
    const lan = await echoServer('lan:');
    closers.push(lan.close);
    l4Port = await freePort();
    const res = await stack.request(
      'POST',
      '/api/v1/routes',
      pooledRoute(gateways, lan.port, { type: 'l4', l4_listen_port: l4Port }),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    l4Route = res.body.id;
    await bothForwarding(
      l4Route,
      async () => (await tcpRoundTrip(l4Port, 'warm', 1000).catch(() => '')) === 'lan:warm',
    );

    const before = byGateway(await traffic(l4Route));
    for (let i = 0; i < 20; i++) expect(await tcpRoundTrip(l4Port, `ping${i}`)).toBe(`lan:ping${i}`);
    const after = await waitFor(
      'the 20 connections counted',
      async () => {
        const t = await traffic(l4Route);
        const sum = gateways.reduce((n, g) => n + (byGateway(t).get(g.id)?.connections ?? 0), 0);
        const was = gateways.reduce((n, g) => n + (before.get(g.id)?.connections ?? 0), 0);
        return sum - was === 20 ? t : undefined;
      },
      5000,
      100,
    );
    const now = byGateway(after);
    for (const g of gateways) {
      const m = now.get(g.id)!;
      expect(m).toMatchObject({ gateway_name: g.name, member: g.tunnelIp });
      // round robin over two healthy members: 10 each
      expect(m.connections - (before.get(g.id)?.connections ?? 0)).toBe(10);
      expect(m.bytes_in).toBeGreaterThan(before.get(g.id)?.bytes_in ?? 0);
    }
    const shares = after.members.map((m) => m.connection_share ?? 0);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 0);
    expect(after.members.every((m) => m.byte_share !== null)).toBe(true);
    expect(Date.parse(after.since)).toBeLessThanOrEqual(Date.now());
  }, 60_000);

  it('lists an open connection with the gateway it goes through, and ends it', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: l4Port });
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('hold');
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    const list = await stack.request('GET', `/api/v1/routes/${l4Route}/connections`);
    expect(list.status).toBe(200);
    const [open] = z.array(LiveConnectionSchema.strict()).parse(list.body.data);
    expect(open).toMatchObject({ network: 'tcp', client: '127.0.0.1', bytes_in: 4 });
    const through = gateways.find((g) => g.id === open!.gateway_id);
    expect(through, JSON.stringify(open)).toBeDefined();
    expect(open).toMatchObject({ member: through!.tunnelIp, gateway_name: through!.name });

    const end = await stack.request('DELETE', `/api/v1/routes/${l4Route}/connections/${open!.id}`);
    expect(end.status).toBe(204);
    await closed;
    const audit = await stack.request('GET', '/api/v1/audit?action=route.connection.close');
    expect(JSON.stringify(audit.body)).toContain('route.connection.close');
    const again = await stack.request('GET', `/api/v1/routes/${l4Route}/connections`);
    expect(again.body.data).toEqual([]);
  }, 30_000);

  it('an HTTP route: requests per member, and its recent clients with country, peer and gateway', async () => {
    const app = await tcpServer((s) =>
      s.on('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nlan')),
    );
    closers.push(app.close);
    const res = await stack.request(
      'POST',
      '/api/v1/routes',
      pooledRoute(gateways, app.port, { domain: 'pool.gateway.test' }),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const id = res.body.id as number;
    await bothForwarding(
      id,
      async () => (await httpsGet(stack, 'pool.gateway.test').catch(() => undefined))?.status === 200,
    );
    const before = byGateway(await traffic(id));
    for (let i = 0; i < 10; i++) expect((await httpsGet(stack, 'pool.gateway.test')).body).toBe('lan');
    const now = byGateway(await traffic(id));
    expect(gateways.reduce((n, g) => n + now.get(g.id)!.connections - (before.get(g.id)?.connections ?? 0), 0)).toBe(
      10,
    );
    for (const g of gateways) expect(now.get(g.id)!.connections - (before.get(g.id)?.connections ?? 0)).toBe(5);

    const clients = await stack.request('GET', `/api/v1/routes/${id}/clients`);
    expect(clients.status).toBe(200);
    const list = z.array(RecentClientSchema.strict()).parse(clients.body.data);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ client: '127.0.0.1', peer_id: null });
    expect(list[0]!.requests).toBeGreaterThanOrEqual(10);
    expect(list[0]!.bytes_out).toBeGreaterThan(0);
    expect(gateways.map((g) => g.id)).toContain(list[0]!.gateway_id);
    // An L4 route has no recent HTTP clients; an unknown route is a 404.
    expect((await stack.request('GET', `/api/v1/routes/${l4Route}/clients`)).body.data).toEqual([]);
    expect((await stack.request('GET', '/api/v1/routes/999999/traffic')).status).toBe(404);
  }, 60_000);
});
