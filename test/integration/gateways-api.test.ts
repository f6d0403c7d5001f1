// Real: the Hono app (app.request), admin auth, the gateways services and a temp-file libSQL database.
// Simulated: the agent (status reports posted by hand); no gateway hub is running, so nobody is online.
import { describe, expect, it } from 'vitest';
import { testApp } from '../helpers/env.ts';

describe('/api/v1/gateways', () => {
  it('creates with a token shown once, lists without secrets, updates, rotates and deletes', async () => {
    const t = await testApp();
    try {
      const admin = await t.tokenFor('admin');
      const created = await t.call('POST', '/api/v1/gateways', {
        token: admin,
        body: { name: 'home', lan_networks: ['192.168.2.0/24'] },
      });
      expect(created.status).toBe(201);
      const gw = (await created.json()) as { id: number; token: string; token_prefix: string };
      expect(gw.token).toMatch(/^gtw_/);
      expect(gw).toMatchObject({ online: false, applied_version: null, drift: true, listeners: [], peer_id: null });

      const list = await (await t.call('GET', '/api/v1/gateways', { token: admin })).text();
      expect(list).not.toContain(gw.token);
      expect(list).not.toContain('token_hash');

      // The agent's token works on the agent endpoints only; an API token does not work there.
      const report = {
        applied_version: 0,
        listeners: [{ route_id: 1, port: 3389, protocol: 'tcp', state: 'listening' }],
        targets: [],
      };
      expect((await t.call('POST', '/api/v1/gateway/status', { token: gw.token, body: report })).status).toBe(204);
      expect((await t.call('POST', '/api/v1/gateway/status', { token: admin, body: report })).status).toBe(401);
      expect((await t.call('GET', '/api/v1/gateways', { token: gw.token })).status).toBe(401);
      const seen = (await (await t.call('GET', `/api/v1/gateways/${gw.id}`, { token: admin })).json()) as Record<
        string,
        unknown
      >;
      expect(seen).toMatchObject({ applied_version: 0, listeners: report.listeners });
      expect(seen['last_seen_at']).not.toBeNull();

      const bad = await t.call('POST', '/api/v1/gateway/status', {
        token: gw.token,
        body: { applied_version: 'x', listeners: [], targets: [] },
      });
      expect(bad.status).toBe(422);

      const patched = await t.call('PATCH', `/api/v1/gateways/${gw.id}`, { token: admin, body: { name: 'office' } });
      expect(((await patched.json()) as { name: string }).name).toBe('office');
      expect(
        (await t.call('PATCH', `/api/v1/gateways/${gw.id}`, { token: admin, body: { peer_id: 999 } })).status,
      ).toBe(422);

      const rotated = (await (
        await t.call('POST', `/api/v1/gateways/${gw.id}/rotate-token`, { token: admin })
      ).json()) as { token: string };
      expect(rotated.token).not.toBe(gw.token);
      expect((await t.call('POST', '/api/v1/gateway/status', { token: gw.token, body: report })).status).toBe(401);
      expect((await t.call('POST', '/api/v1/gateway/status', { token: rotated.token, body: report })).status).toBe(204);

      expect((await t.call('GET', '/api/v1/gateways', { token: await t.tokenFor('read') })).status).toBe(200);
      expect((await t.call('DELETE', `/api/v1/gateways/${gw.id}`, { token: await t.tokenFor('read') })).status).toBe(
        403,
      );
      expect((await t.call('DELETE', `/api/v1/gateways/${gw.id}`, { token: admin })).status).toBe(204);
      expect((await t.call('GET', `/api/v1/gateways/${gw.id}`, { token: admin })).status).toBe(404);
      expect((await t.call('POST', '/api/v1/gateway/status', { token: rotated.token, body: report })).status).toBe(401);
    } finally {
      t.cleanup();
    }
  });

  it('refuses duplicate names and bad LAN networks with field errors', async () => {
    const t = await testApp();
    try {
      const admin = await t.tokenFor('admin');
      await t.call('POST', '/api/v1/gateways', { token: admin, body: { name: 'dup' } });
      expect((await t.call('POST', '/api/v1/gateways', { token: admin, body: { name: 'dup' } })).status).toBe(409);
      const bad = await t.call('POST', '/api/v1/gateways', {
        token: admin,
        body: { name: 'x', lan_networks: ['192.168.2.0'] },
      });
      expect(bad.status).toBe(422);
      expect(JSON.stringify(await bad.json())).toContain('lan_networks.0');
    } finally {
      t.cleanup();
    }
  });
});
