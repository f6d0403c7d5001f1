// Real: the route connection verbs (list with peers resolved, close with its audit entry) over a libSQL temp file,
// and the API's path parameter schema. Simulated: the data plane answers from a table here (the real module's
// tracking and closing run in test/e2e/pools.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataPlane } from '../../src/caddy/data-plane.ts';
import { auditLog, peers } from '../../src/db/schema/index.ts';
import { NotFoundError, UnavailableError } from '../../src/errors.ts';
import { ConnectionIdParamSchema } from '../../src/schemas/connections.ts';
import { CreateRouteSchema } from '../../src/schemas/routes.ts';
import { closeRouteConnection, listRouteConnections } from '../../src/services/routes/connections.ts';
import { createRoute } from '../../src/services/routes/create.ts';
import { getRouteTraffic } from '../../src/services/routes/live.ts';
import { systemContext, testDb } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testDb>>;
let routeId: number;
const open = new Map<number, Record<string, unknown>>();
const closed: number[] = [];
const dataPlane = {
  available: true,
  connections: async (route?: string) => ({
    status: 200,
    body: { connections: [...open.values()].filter((c) => !route || c.route === route) },
  }),
  traffic: async (route: string) => ({
    status: 200,
    body: {
      since: '2026-01-01T00:00:00Z',
      routes: [
        {
          route,
          members: [
            { member: '10.8.0.7', connections: 3, bytes_in: 100, bytes_out: 200 },
            { member: '192.0.2.50', connections: 1, bytes_in: 0, bytes_out: 100 },
            { member: '(other)', connections: 0, bytes_in: 0, bytes_out: 0 },
          ],
        },
        { route: '999999', members: [{ member: '10.8.0.9', connections: 5, bytes_in: 1, bytes_out: 1 }] },
      ],
    },
  }),
  closeConnection: async (id: number) => {
    closed.push(id);
    return open.delete(id) ? 204 : 404;
  },
} as unknown as DataPlane;

beforeAll(async () => {
  env = await testDb();
  const now = new Date();
  await env.db.insert(peers).values({
    name: 'laptop',
    publicKey: 'k-laptop',
    address: '10.8.0.7',
    dns: [],
    allowedIps: [],
    tags: [],
    createdAt: now,
    updatedAt: now,
  });
  const route = await createRoute({
    ctx: systemContext(env),
    input: CreateRouteSchema.parse({
      type: 'l4',
      l4_listen_port: 5555,
      target_kind: 'direct',
      target_host: '192.0.2.1',
      target_port: 22,
    }),
  });
  routeId = route.id;
  const base = { network: 'tcp', started_at: now.toISOString(), age_seconds: 3, bytes_in: 10, bytes_out: 20 };
  open.set(1, { ...base, id: 1, route: String(routeId), client: '10.8.0.7' });
  open.set(2, { ...base, id: 2, route: String(routeId), client: '203.0.113.9', country: 'DE' });
  open.set(3, { ...base, id: 3, route: '999999', client: '203.0.113.10' });
});
afterAll(() => env.cleanup());

const ctx = () => ({ ...systemContext(env), hooks: { dataPlane } });

describe('route connections', () => {
  it("lists a route's open connections with the peer behind a tunnel address", async () => {
    const list = await listRouteConnections({ ctx: ctx(), input: { id: routeId } });
    expect(list.map((c) => [c.id, c.peer_id])).toEqual([
      [1, expect.any(Number)],
      [2, null],
    ]);
  });

  it('ends one connection with an audit entry; another route’s connection or a gone one is a 404', async () => {
    await closeRouteConnection({ ctx: ctx(), input: { id: routeId, connection: 2 } });
    const [entry] = (await env.db.select().from(auditLog)).filter((a) => a.action === 'route.connection.close');
    expect(entry).toMatchObject({ resourceType: 'route', resourceId: String(routeId) });
    expect(entry!.before).toMatchObject({ id: 2, client: '203.0.113.9', country: 'DE' });
    await expect(closeRouteConnection({ ctx: ctx(), input: { id: routeId, connection: 2 } })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    // Connection 3 belongs to another route: never closed through this one.
    await expect(closeRouteConnection({ ctx: ctx(), input: { id: routeId, connection: 3 } })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect(closed).toEqual([2]);
  });

  it("gives each member its share of the route's connections and bytes, this route's only", async () => {
    const t = await getRouteTraffic({ ctx: ctx(), input: { id: routeId } });
    expect(t.members.map((m) => [m.member, m.connection_share, m.byte_share, m.gateway_id])).toEqual([
      ['10.8.0.7', 75, 75, null],
      ['192.0.2.50', 25, 25, null],
      ['(other)', 0, 0, null],
    ]);
  });

  it('says the data plane is down instead of listing nothing', async () => {
    const down = { ...systemContext(env), hooks: { dataPlane: { available: false } as unknown as DataPlane } };
    await expect(listRouteConnections({ ctx: down, input: { id: routeId } })).rejects.toBeInstanceOf(UnavailableError);
  });

  it('refuses hostile connection ids in the path', () => {
    for (const bad of ['0', '-1', '1e999', 'abc', '9007199254740993', '1;DROP']) {
      expect(ConnectionIdParamSchema.safeParse({ id: '1', connection: bad }).success).toBe(false);
    }
    expect(ConnectionIdParamSchema.parse({ id: '1', connection: '42' })).toEqual({ id: 1, connection: 42 });
  });
});
