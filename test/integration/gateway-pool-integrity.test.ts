// Issue 19: a gateway that is a member of a route's pool is in use like the route's own gateway. Deleting it is
// refused (409 naming the routes), and so is shrinking its lan_networks under a member's LAN host (naming the
// route and the member field); both leave everything as it was.
// Real: the Hono app (REST API and dashboard forms with CSRF), the gateways and routes services, the config-file
// export, a libSQL temp file. Simulated: no agents and no Caddy (nobody is online).
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditLog, gateways, routes } from '../../src/db/schema/index.ts';
import { CreateRouteSchema } from '../../src/schemas/routes.ts';
import { bootstrapAdmin } from '../../src/services/admin/bootstrap.ts';
import { createGateway } from '../../src/services/gateways/create.ts';
import { createRoute } from '../../src/services/routes/create.ts';
import { ADMIN, browser } from '../helpers/admin-login.ts';
import { systemContext, testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let admin: string;
let own: number;
let member: number;
let spare: number;
let pooled: { id: number; name: string };
const ctx = () => systemContext(env);

beforeEach(async () => {
  env = await testApp();
  admin = await env.tokenFor('admin');
  const gw = async (name: string) =>
    (await createGateway({ ctx: ctx(), input: { name, peer_id: null, lan_networks: ['192.168.77.0/24'] } })).row.id;
  own = await gw('site-a');
  member = await gw('site-b');
  spare = await gw('site-c');
  pooled = await createRoute({
    ctx: ctx(),
    input: CreateRouteSchema.parse({
      type: 'l4',
      name: 'nas-ssh',
      l4_listen_port: 7022,
      target_kind: 'gateway',
      gateway_id: own,
      target_lan_host: '192.168.77.10',
      target_lan_port: 22,
      pool: { members: [{ gateway_id: member, target_lan_host: '192.168.77.11', target_lan_port: 22 }] },
    }),
  });
});
afterEach(() => env.cleanup());

/** The error model's body: `{ error: { code, message, ...details } }` (src/http/errors.ts). */
const errorOf = async (res: Response) => ((await res.json()) as { error: Record<string, unknown> }).error;

const state = async () => ({
  gateways: await env.db.select().from(gateways).orderBy(gateways.id),
  routes: await env.db.select().from(routes).orderBy(routes.id),
  audit: (await env.db.select().from(auditLog)).length,
});

describe('a gateway in a route pool', () => {
  it('is not deleted while a pool names it: 409 naming the route, nothing changed, then deletable', async () => {
    // Ids come from their own offsets (test/helpers/id-offsets.ts), so a gateway id never equals a route id.
    expect(member).toBeGreaterThan(2000);
    expect(pooled.id).toBeGreaterThan(3000);
    const before = await state();
    const refused = await env.call('DELETE', `/api/v1/gateways/${member}`, { token: admin });
    expect(refused.status).toBe(409);
    expect(await errorOf(refused)).toMatchObject({
      code: 'conflict',
      message: `gateway ${member} is a pool member of route ${pooled.id} (nas-ssh); move or delete them first`,
      route_ids: [pooled.id],
    });
    expect(await state()).toEqual(before);

    // The config-file export still names the member's gateway (a dangling one would be written as null).
    const exported = await (await env.call('GET', '/api/v1/config/export', { token: admin })).text();
    expect(exported).not.toMatch(/gateway: null/);

    // The route's own gateway is named as before, and both kinds of use together.
    const ownRefused = await env.call('DELETE', `/api/v1/gateways/${own}`, { token: admin });
    expect(ownRefused.status).toBe(409);
    expect((await errorOf(ownRefused))['message']).toBe(
      `gateway ${own} is the target of route ${pooled.id} (nas-ssh); move or delete them first`,
    );

    // Without the pool the gateway goes.
    const patched = await env.call('PUT', `/api/v1/routes/${pooled.id}`, { token: admin, body: { pool: null } });
    expect(patched.status).toBe(200);
    expect((await env.call('DELETE', `/api/v1/gateways/${member}`, { token: admin })).status).toBe(204);
    expect(await env.db.select().from(gateways).where(eq(gateways.id, member))).toEqual([]);
  });

  it('names both uses when a gateway is one route’s target and another’s pool member', async () => {
    const second = await createRoute({
      ctx: ctx(),
      input: CreateRouteSchema.parse({
        type: 'l4',
        name: 'nas-web',
        l4_listen_port: 7080,
        target_kind: 'gateway',
        gateway_id: member,
        target_lan_host: '192.168.77.11',
        target_lan_port: 80,
      }),
    });
    const refused = await env.call('DELETE', `/api/v1/gateways/${member}`, { token: admin });
    expect(refused.status).toBe(409);
    expect(await errorOf(refused)).toMatchObject({
      message: `gateway ${member} is the target of route ${second.id} (nas-web) and a pool member of route ${pooled.id} (nas-ssh); move or delete them first`,
      route_ids: [pooled.id, second.id],
    });
  });

  it('keeps its lan_networks around a member LAN host: refused naming the route and member field', async () => {
    const before = await state();
    const version = await (await env.call('GET', '/api/v1/config/export', { token: admin })).text();
    const refused = await env.call('PATCH', `/api/v1/gateways/${member}`, {
      token: admin,
      body: { lan_networks: ['10.20.0.0/16'] },
    });
    expect(refused.status).toBe(409);
    const body = await errorOf(refused);
    expect(body['message']).toContain(`route ${pooled.id} pool.members.0.target_lan_host (192.168.77.11)`);
    expect(body).toMatchObject({
      field: 'lan_networks',
      conflicting_route_ids: [pooled.id],
      conflicts: [{ route_id: pooled.id, field: 'pool.members.0.target_lan_host', host: '192.168.77.11' }],
    });
    expect(await state()).toEqual(before);
    expect(await (await env.call('GET', '/api/v1/config/export', { token: admin })).text()).toBe(version);

    // A network that still holds the member's host is fine; the gateway no pool names is unaffected.
    const narrowed = await env.call('PATCH', `/api/v1/gateways/${member}`, {
      token: admin,
      body: { lan_networks: ['192.168.77.11/32'] },
    });
    expect(narrowed.status).toBe(200);
    const other = await env.call('PATCH', `/api/v1/gateways/${spare}`, {
      token: admin,
      body: { lan_networks: ['10.20.0.0/16'] },
    });
    expect(other.status).toBe(200);
  });

  it('the dashboard confirm page blocks the delete, and a forced POST shows the refusal', async () => {
    await bootstrapAdmin({ ctx: ctx() });
    const b = browser(env, '198.51.100.7');
    expect((await b.password(ADMIN.password)).status).toBe(303);
    const confirm = await (await b.request('GET', `/gateways/${member}/delete`)).text();
    expect(confirm).toContain('1 route uses this gateway: nas-ssh (tcp port 7022)');
    expect(confirm).toContain('nas-ssh');
    expect(confirm).not.toContain('name="confirmed"');

    const csrf = b.csrfOf(await (await b.request('GET', '/')).text());
    const forced = await b.request('POST', `/gateways/${member}/delete`, { _csrf: csrf, confirmed: 'yes' });
    expect(forced.status).toBe(409);
    expect(await forced.text()).toContain(`is a pool member of route ${pooled.id} (nas-ssh)`);
    expect(await env.db.select().from(gateways).where(eq(gateways.id, member))).toHaveLength(1);
  });
});
