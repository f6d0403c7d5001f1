// Real: the routes service (validation, port allocation) and the gateway config source over a libSQL temp
// file. Simulated: no Caddy (writes report data_plane "pending"); gateways are rows with a peer address.

import { gatewayConfigHash } from '@gatehouse/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateways, peers } from '../../src/db/schema/index.ts';
import { CreateRouteSchema } from '../../src/schemas/routes.ts';
import { loadGatewayRefs } from '../../src/services/gateways/read.ts';
import { createRoute } from '../../src/services/routes/create.ts';
import { RoutesGatewayConfigSource, wolBroadcast } from '../../src/sync/routes-gateway-config.ts';
import { systemContext, testDb } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testDb>>;
const ids: number[] = [];
beforeAll(async () => {
  env = await testDb();
  const now = new Date();
  for (const [i, lan] of [['192.168.2.0/24'], ['10.20.0.0/16']].entries()) {
    const [peer] = await env.db
      .insert(peers)
      .values({
        name: `gw${i}`,
        publicKey: `key${i}`,
        address: `10.8.0.${10 + i}`,
        dns: [],
        allowedIps: [],
        tags: [],
        isGateway: true,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    const [gw] = await env.db
      .insert(gateways)
      .values({
        name: `home${i}`,
        peerId: peer!.id,
        lanNetworks: lan!,
        tokenHash: `h${i}`,
        tokenPrefix: 'gtw_x',
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    ids.push(gw!.id);
  }
  const ctx = { ...systemContext(env), hooks: { loadGateways: loadGatewayRefs } };
  const make = (input: Record<string, unknown>) =>
    createRoute({ ctx, input: CreateRouteSchema.parse({ target_kind: 'gateway', ...input }) });
  await make({
    type: 'l4',
    gateway_id: ids[0],
    l4_listen_port: '2000-2002',
    target_lan_host: '192.168.2.50',
    target_lan_port: 3000,
    wol_enabled: true,
    wol_mac: 'AA-BB-CC-DD-EE-FF',
  });
  await make({ domain: 'nas.example.com', gateway_id: ids[0], target_lan_host: '192.168.2.10', target_lan_port: 5000 });
  await make({
    type: 'l4',
    l4_tls_mode: 'passthrough',
    l4_listen_port: 8443,
    domain: 'a.example.com',
    gateway_id: ids[0],
    target_lan_host: '192.168.2.11',
    target_lan_port: 443,
  });
  await make({
    type: 'l4',
    l4_protocol: 'udp',
    gateway_id: ids[1],
    l4_listen_port: 27015,
    target_lan_host: '10.20.3.4',
    target_lan_port: 27015,
    enabled: false,
  });
});
afterAll(() => env.cleanup());

describe('RoutesGatewayConfigSource', () => {
  it("builds each gateway's forwarding table from the routes that target it", async () => {
    const source = new RoutesGatewayConfigSource(env.db);
    const home = await source.configFor(ids[0]!);
    expect(home.tunnel_ip).toBe('10.8.0.10');
    expect(home.l4_routes).toEqual([
      expect.objectContaining({
        protocol: 'tcp',
        listen_port: 2000,
        listen_port_end: 2002,
        target_lan_host: '192.168.2.50',
        target_lan_port: 3000,
        wol_mac: 'aa:bb:cc:dd:ee:ff',
      }),
      // TLS routes are served on their own forwarding port, never the shared server port.
      expect.objectContaining({ protocol: 'tcp', listen_port: 40001, listen_port_end: null, target_lan_port: 443 }),
    ]);
    expect(home.http_forwards).toEqual([
      expect.objectContaining({ listen_port: 40000, target_host: '192.168.2.10', target_port: 5000 }),
    ]);
    expect(home.wol).toEqual([{ mac: 'aa:bb:cc:dd:ee:ff', broadcast: '192.168.2.255' }]);
    expect(home.hash).toBe(gatewayConfigHash(home));
    // Disabled routes are not forwarded.
    expect((await source.configFor(ids[1]!)).l4_routes).toEqual([]);
  });

  it('builds many gateways in one pass with the same result', async () => {
    const source = new RoutesGatewayConfigSource(env.db);
    const batch = await source.configsFor(ids);
    for (const id of ids) expect(batch.get(id)).toEqual(await source.configFor(id));
  });

  it('picks the directed broadcast of the LAN network holding the target', () => {
    expect(wolBroadcast('10.20.3.4', ['192.168.2.0/24', '10.20.0.0/16'])).toBe('10.20.255.255');
    expect(wolBroadcast('172.16.0.9', ['192.168.2.0/24'])).toBe('255.255.255.255');
    expect(wolBroadcast('nas.lan', ['192.168.2.0/24'])).toBe('255.255.255.255');
  });
});
