// Real: the routes service (validation, conflicts, forwarding ports), the snapshot compiler and the gateway config
// source over a libSQL temp file. Simulated: no Caddy, no agents; gateways are rows with a peer address and their
// presence is passed to the compiler as the server's hub would (src/server.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSnapshot } from '../../src/caddy/snapshot.ts';
import { gateways, peers, routes } from '../../src/db/schema/index.ts';
import { ValidationError } from '../../src/errors.ts';
import { CreateRouteSchema, UpdateRouteSchema } from '../../src/schemas/routes.ts';
import { loadCompileInput } from '../../src/services/config/compile-input.ts';
import { failingRoutes, loadGatewayRefs } from '../../src/services/gateways/read.ts';
import { createRoute } from '../../src/services/routes/create.ts';
import { updateRoute } from '../../src/services/routes/update.ts';
import { RoutesGatewayConfigSource } from '../../src/sync/routes-gateway-config.ts';
import { systemContext, testDb } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testDb>>;
const gw: number[] = [];
let ctx: ReturnType<typeof systemContext>;
beforeAll(async () => {
  env = await testDb();
  const now = new Date();
  for (const i of [0, 1, 2]) {
    const [peer] = await env.db
      .insert(peers)
      .values({
        name: `pgw${i}`,
        publicKey: `pkey${i}`,
        address: `10.8.0.${20 + i}`,
        dns: [],
        allowedIps: [],
        tags: [],
        isGateway: true,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    const [row] = await env.db
      .insert(gateways)
      .values({
        name: `site${i}`,
        peerId: peer!.id,
        lanNetworks: ['192.168.77.0/24'],
        tokenHash: `ph${i}`,
        tokenPrefix: 'gtw_x',
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    gw.push(row!.id);
  }
  ctx = { ...systemContext(env), hooks: { loadGateways: loadGatewayRefs } };
});
afterAll(() => env.cleanup());

const create = (input: Record<string, unknown>) =>
  createRoute({ ctx, input: CreateRouteSchema.parse({ target_kind: 'gateway', ...input }) });
const member = (i: number, host = '192.168.77.10', port = 7000) => ({
  gateway_id: gw[i],
  target_lan_host: host,
  target_lan_port: port,
});
async function snapshotWith(presence: Record<number, { online?: boolean; failing?: number[] }> = {}) {
  const input = await loadCompileInput(env.db, 1, async (db) =>
    (await loadGatewayRefs(db)).map((g) => ({
      ...g,
      online: presence[g.id]?.online,
      failingRoutes: presence[g.id]?.failing ?? g.failingRoutes,
    })),
  );
  return compileSnapshot(input);
}
const l4Proxy = (snap: Awaited<ReturnType<typeof snapshotWith>>, id: number) =>
  snap.routes.find((r) => r.id === String(id))!.l4!.ports[0]!.handle.at(-1) as Record<string, any>;

describe('gateway pools', () => {
  let tcp: number;
  it('stores a TCP failover pool and returns it with defaults', async () => {
    const result = await create({
      type: 'l4',
      l4_listen_port: 7000,
      gateway_id: gw[0],
      target_lan_host: '192.168.77.10',
      target_lan_port: 7000,
      pool: { members: [member(1, ' 192.168.77.11 ')] },
    });
    tcp = result.id;
    expect(result.pool).toEqual({
      mode: 'failover',
      balance: 'round_robin',
      members: [member(1, '192.168.77.11')],
      healthy_after: 2,
      check_interval_seconds: 5,
    });
  });

  it('compiles every member into caddy-l4 upstreams with first-available selection and health checks', async () => {
    const proxy = l4Proxy(await snapshotWith(), tcp);
    expect(proxy.upstreams).toEqual([{ dial: ['10.8.0.20:7000'] }, { dial: ['10.8.0.21:7000'] }]);
    expect(proxy.load_balancing).toEqual({ selection: { policy: 'first' }, try_duration: '2s', try_interval: '50ms' });
    expect(proxy.health_checks).toEqual({
      active: { interval: '5s', timeout: '2s', rise: 2, fall: 1 },
      passive: { fail_duration: '10s', max_fails: 1 },
    });
  });

  it('leaves an offline or failing member out of the rotation, but never empties it', async () => {
    expect(l4Proxy(await snapshotWith({ [gw[0]!]: { online: false } }), tcp).upstreams).toEqual([
      { dial: ['10.8.0.21:7000'] },
    ]);
    expect(l4Proxy(await snapshotWith({ [gw[1]!]: { failing: [tcp] } }), tcp).upstreams).toEqual([
      { dial: ['10.8.0.20:7000'] },
    ]);
    const allDown = { [gw[0]!]: { online: false }, [gw[1]!]: { online: false } };
    expect(l4Proxy(await snapshotWith(allDown), tcp).upstreams).toHaveLength(2);
  });

  it('reads failing routes from an agent report (failed listener, unreachable target)', () => {
    expect(
      failingRoutes({
        applied_version: 1,
        listeners: [
          { route_id: 5, port: 1, protocol: 'tcp', state: 'failed' },
          { route_id: 6, port: 2, protocol: 'tcp', state: 'listening' },
        ],
        targets: [
          { route_id: 7, reachable: false },
          { route_id: 6, reachable: true },
        ],
      }),
    ).toEqual([5, 7]);
  });

  it('makes every member gateway forward the route to its own LAN target', async () => {
    const source = new RoutesGatewayConfigSource(env.db);
    const second = await source.configFor(gw[1]!);
    expect(second.l4_routes).toEqual([
      expect.objectContaining({
        route_id: tcp,
        listen_port: 7000,
        target_lan_host: '192.168.77.11',
        target_lan_port: 7000,
      }),
    ]);
    expect((await source.configFor(gw[2]!)).l4_routes).toEqual([]);
  });

  it('balances UDP and HTTP pools with the policy names of caddy-l4 and Caddy', async () => {
    const udp = await create({
      type: 'l4',
      l4_protocol: 'udp',
      l4_listen_port: 7001,
      gateway_id: gw[0],
      target_lan_host: '192.168.77.10',
      target_lan_port: 7001,
      pool: { mode: 'balance', balance: 'client_hash', members: [member(2, '192.168.77.10', 7001)] },
    });
    const http = await create({
      domain: 'pool.example.com',
      gateway_id: gw[0],
      target_lan_host: '192.168.77.10',
      target_lan_port: 80,
      health_check: { path: '/health' },
      pool: { mode: 'balance', balance: 'least_conn', members: [member(1, '192.168.77.10', 80)] },
    });
    const snap = await snapshotWith();
    const udpProxy = l4Proxy(snap, udp.id);
    expect(udpProxy.upstreams).toEqual([{ dial: ['udp/10.8.0.20:7001'] }, { dial: ['udp/10.8.0.22:7001'] }]);
    expect(udpProxy.load_balancing.selection).toEqual({ policy: 'ip_hash' });
    expect(udpProxy.health_checks.active).toBeUndefined();
    const proxy = snap.routes.find((r) => r.id === String(http.id))!.http!.handle.at(-1) as Record<string, any>;
    const port = http.gateway_port;
    expect(proxy.upstreams).toEqual([{ dial: `10.8.0.20:${port}` }, { dial: `10.8.0.21:${port}` }]);
    expect(proxy.load_balancing.selection_policy).toEqual({ policy: 'least_conn' });
    expect(proxy.health_checks.active).toMatchObject({ uri: '/health', passes: 2, fails: 1 });
    // The forwarding port is free on both members, and both forward it.
    const second = await new RoutesGatewayConfigSource(env.db).configFor(gw[1]!);
    expect(second.http_forwards).toEqual([expect.objectContaining({ listen_port: port, target_port: 80 })]);
  });

  it('refuses hostile members with the field named and changes nothing', async () => {
    const before = await env.db.select().from(routes);
    const bad = async (pool: unknown) => {
      const err = await create({
        type: 'l4',
        l4_listen_port: 7100,
        gateway_id: gw[0],
        target_lan_host: '192.168.77.10',
        target_lan_port: 7100,
        pool,
      }).catch((e) => e);
      expect(err).toBeInstanceOf(ValidationError);
      return (err as ValidationError).issues.map((i) => `${i.field}: ${i.message}`);
    };
    expect(await bad({ members: [member(0)] })).toEqual([expect.stringMatching(/^pool.members.0.gateway_id: .*twice/)]);
    expect(await bad({ members: [{ ...member(1), gateway_id: 999_999 }] })).toEqual([
      'pool.members.0.gateway_id: gateway 999999 does not exist',
    ]);
    expect(await bad({ members: [member(1, '10.1.2.3')] })).toEqual([
      expect.stringMatching(/^pool.members.0.target_lan_host: 10.1.2.3 is not in the gateway's lan_networks/),
    ]);
    expect(await bad({ members: [member(1, '127.0.0.1')] })).toEqual([
      expect.stringMatching(/^pool.members.0.target_lan_host: /),
    ]);
    expect(await env.db.select().from(routes)).toEqual(before);
    // The zod schema: modes, sizes, bounds.
    const parse = (pool: unknown) => CreateRouteSchema.safeParse({ pool }).success;
    expect(parse({ members: [] })).toBe(false);
    expect(parse({ members: Array.from({ length: 8 }, () => member(1)) })).toBe(false);
    expect(parse({ mode: 'chaos', members: [member(1)] })).toBe(false);
    expect(parse({ members: [member(1)], healthy_after: 0 })).toBe(false);
    expect(parse({ members: [member(1)], extra: 1 })).toBe(false);
    expect(parse({ members: [{ ...member(1), target_lan_port: 70000 }] })).toBe(false);
  });

  it('removes the pool with pool: null; a single gateway compiles as before', async () => {
    const result = await updateRoute({ ctx, input: { id: tcp, fields: UpdateRouteSchema.parse({ pool: null }) } });
    expect(result.pool).toBeNull();
    const proxy = l4Proxy(await snapshotWith(), tcp);
    expect(proxy).toEqual({ handler: 'proxy', upstreams: [{ dial: ['10.8.0.20:7000'] }] });
    expect((await new RoutesGatewayConfigSource(env.db).configFor(gw[1]!)).l4_routes).toHaveLength(0);
  });
});
