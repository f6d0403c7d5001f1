// Item 4 of issue 13: gateway targets stay inside the gateway's lan_networks — checked by the server (route
// writes, and a gateway update that would shrink the networks under existing routes) and again by the agent
// (target guard: lan_networks, its own loopback; tunnel_ip must be its own; older config versions ignored).
// Real: the Hono app and route/gateway services on a temp libSQL database; the agent's guard and reconciler;
// a real agent over the SSE hub. Simulated: name resolution in the guard test (injected resolver).
import { createTargetGuard } from '@gatehouse/agent';
import { buildGatewayConfig } from '@gatehouse/protocol';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentReconciler } from '../../packages/agent/src/reconciler.ts';
import { testApp } from '../helpers/env.ts';
import { agent, controlPlane, emptyBody } from '../helpers/gateway.ts';
import { waitFor } from '../helpers/wait.ts';

describe('the server keeps gateway targets inside lan_networks', () => {
  let env: Awaited<ReturnType<typeof testApp>>;
  let writer: string;
  let gatewayId: number;
  beforeAll(async () => {
    env = await testApp();
    writer = await env.tokenFor('write');
    const res = await env.call('POST', '/api/v1/gateways', {
      token: writer,
      body: { name: 'home', lan_networks: ['192.168.2.0/24'] },
    });
    gatewayId = ((await res.json()) as { id: number }).id;
  });
  afterAll(() => env.cleanup());

  const route = (host: string, n: number) =>
    env.call('POST', '/api/v1/routes', {
      token: writer,
      body: {
        domain: `lan${n}.example.com`,
        target_kind: 'gateway',
        gateway_id: gatewayId,
        target_lan_host: host,
        target_lan_port: 80,
      },
    });

  it("refuses a LAN host outside the gateway's networks, its loopback included", async () => {
    for (const [i, host] of ['192.168.3.5', '127.0.0.1', '::ffff:127.0.0.1', '10.0.0.1'].entries()) {
      const res = await route(host, i);
      const body = (await res.json()) as { error: { fields: { field: string; message: string }[] } };
      expect(res.status, host).toBe(422);
      expect(body.error.fields.map((f) => f.field)).toEqual(['target_lan_host']);
      expect(body.error.fields[0]!.message).toContain('lan_networks');
    }
  });

  it('accepts a host inside, and refuses to shrink lan_networks from under it, naming the route', async () => {
    const ok = await route('192.168.2.50', 10);
    expect(ok.status).toBe(201);
    const { id } = (await ok.json()) as { id: number };
    const shrink = await env.call('PATCH', `/api/v1/gateways/${gatewayId}`, {
      token: writer,
      body: { lan_networks: ['10.0.0.0/8'] },
    });
    const body = (await shrink.json()) as { error: { message: string } };
    expect(shrink.status).toBe(409);
    expect(body.error.message).toContain(`route ${id} (192.168.2.50)`);
    const after = await env.call('GET', `/api/v1/gateways/${gatewayId}`, { token: writer });
    expect(((await after.json()) as { lan_networks: string[] }).lan_networks).toEqual(['192.168.2.0/24']);
    const grow = await env.call('PATCH', `/api/v1/gateways/${gatewayId}`, {
      token: writer,
      body: { lan_networks: ['192.168.0.0/16'] },
    });
    expect(grow.status).toBe(200);
  });
});

describe("the agent's target guard", () => {
  const names: Record<string, string[]> = { 'nas.lan': ['192.168.2.9'], 'sneaky.lan': ['192.168.2.9', '127.0.0.1'] };
  const guard = (policy: { lanNetworks?: string[]; allowLoopback?: boolean }) =>
    createTargetGuard({ ownPorts: () => new Set(), policy: () => policy, resolve: async (h) => names[h] ?? [] });

  it('refuses targets outside lan_networks, its own loopback, and names that resolve there', async () => {
    const g = guard({ lanNetworks: ['192.168.2.0/24'] });
    await expect(g('192.168.2.9', 80)).resolves.toBe('192.168.2.9');
    await expect(g('nas.lan', 80)).resolves.toBe('192.168.2.9');
    await expect(g('::ffff:192.168.2.9', 80)).resolves.toBe('192.168.2.9');
    for (const host of ['192.168.3.9', '127.0.0.1', '::1', '::ffff:127.0.0.1', 'sneaky.lan', '::ffff:a9fe:a9fe']) {
      await expect(g(host, 80), host).rejects.toThrow(/outside|loopback|link-local/);
    }
  });

  it("refuses loopback without lan_networks too, unless the agent's own setting allows it", async () => {
    await expect(guard({})('127.0.0.1', 80)).rejects.toThrow(/loopback/);
    await expect(guard({ allowLoopback: true })('127.0.0.1', 80)).resolves.toBe('127.0.0.1');
  });
});

describe('the agent and the config it is sent', () => {
  it('does not listen on a tunnel_ip that is not one of its own addresses', async () => {
    const reconciler = new AgentReconciler({ logger: pino({ level: 'silent' }) });
    try {
      for (const tunnel of ['0.0.0.0', '192.0.2.77']) {
        const config = buildGatewayConfig(1, {
          ...emptyBody(),
          tunnel_ip: tunnel,
          l4_routes: [
            { route_id: 1, protocol: 'tcp', listen_port: 40123, target_lan_host: '192.168.2.9', target_lan_port: 80 },
          ],
        });
        await reconciler.apply(config);
        expect(reconciler.listenerStatus(), tunnel).toEqual([
          expect.objectContaining({ state: 'failed', error: expect.stringContaining('no tunnel IP') }),
        ]);
      }
    } finally {
      await reconciler.stop();
    }
  });

  it('ignores a config version older than the applied one', async () => {
    const cp = await controlPlane();
    const created = await cp.newGateway('rollback');
    const gw = agent(cp.url, created.token);
    try {
      cp.source.version = 7;
      cp.source.bodies.set(created.row.id, {
        ...emptyBody(),
        wol: [{ mac: 'aa:bb:cc:dd:ee:07', broadcast: '192.168.2.255' }],
      });
      await gw.agent.start();
      await waitFor('version 7', async () => (gw.agent.appliedVersion === 7 ? true : undefined), 10_000, 50);
      cp.source.version = 3;
      cp.source.bodies.set(created.row.id, emptyBody());
      const before = gw.agent.received;
      await cp.hub.publish(3);
      await waitFor('the old event to arrive', async () => (gw.agent.received > before ? true : undefined), 10_000, 50);
      expect(gw.agent.appliedVersion).toBe(7);
      expect(gw.agent.reconciler.applied?.wol).toHaveLength(1);
    } finally {
      await gw.cleanup();
      await cp.cleanup();
    }
  });
});
