// Issue 14 item 3: peers are split tunnel unless chosen full (gateways always split); a full-tunnel peer is marked
// for the server's forwarding. Real: the Hono app (API and dashboard forms), the peer verbs, a temp libSQL
// database. Simulated: the WireGuard interface (a recording stand-in); test/e2e/full-tunnel.test.ts runs the real one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapAdmin } from '../../src/services/admin/bootstrap.ts';
import { ADMIN, browser } from '../helpers/admin-login.ts';
import { systemContext, testApp } from '../helpers/env.ts';
import { type RecordingNetwork, recordingPeerDeps } from '../helpers/peer-network.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let network: RecordingNetwork;
let token: string;
beforeAll(async () => {
  const deps = recordingPeerDeps();
  network = deps.network;
  env = await testApp({ peers: deps });
  env.config.wireguard.endpoint = 'vpn.example.com';
  token = await env.tokenFor('write');
});
afterAll(() => env.cleanup());

type Peer = { id: number; address: string; tunnel_mode: string; allowed_ips: string[] };
const post = (body: unknown) => env.call('POST', '/api/v1/peers', { token, body });
const patch = (id: number, body: unknown) => env.call('PUT', `/api/v1/peers/${id}`, { token, body });
const allowedIpsOf = async (id: number) =>
  /^AllowedIPs = (.+)$/m.exec(await (await env.call('GET', `/api/v1/peers/${id}/config`, { token })).text())?.[1];
const appliedFor = (address: string) => network.applied.at(-1)!.find((p) => p.address === address);

describe('tunnel mode', () => {
  it('is split by default: the config routes the VPN subnet and chosen networks, never 0.0.0.0/0', async () => {
    const res = await post({ name: 'laptop', allowed_ips: ['192.168.1.0/24'] });
    expect(res.status).toBe(201);
    const peer = (await res.json()) as Peer;
    expect(peer).toMatchObject({ tunnel_mode: 'split', allowed_ips: ['10.8.0.0/24', '192.168.1.0/24'] });
    expect(await allowedIpsOf(peer.id)).toBe('10.8.0.0/24, 192.168.1.0/24');
    expect(appliedFor(peer.address)?.fullTunnel).toBe(false);

    const bare = (await (await post({ name: 'tablet' })).json()) as Peer;
    expect(await allowedIpsOf(bare.id)).toBe('10.8.0.0/24');
  });

  it('full routes everything and marks the peer for forwarding; back to split keeps the chosen networks', async () => {
    const peer = (await (
      await post({ name: 'phone', tunnel_mode: 'full', allowed_ips: ['192.168.7.0/24'] })
    ).json()) as Peer;
    expect(peer.tunnel_mode).toBe('full');
    expect(await allowedIpsOf(peer.id)).toBe('0.0.0.0/0');
    expect(appliedFor(peer.address)?.fullTunnel).toBe(true);

    expect((await patch(peer.id, { tunnel_mode: 'split' })).status).toBe(200);
    expect(await allowedIpsOf(peer.id)).toBe('10.8.0.0/24, 192.168.7.0/24');
    expect(appliedFor(peer.address)?.fullTunnel).toBe(false);
  });

  it('is always split for gateways', async () => {
    const refused = await post({ name: 'gw-full', is_gateway: true, tunnel_mode: 'full' });
    expect(refused.status).toBe(422);
    expect(JSON.stringify(await refused.json())).toContain('tunnel_mode');

    const gw = (await (await post({ name: 'gw', is_gateway: true })).json()) as Peer;
    expect(gw.tunnel_mode).toBe('split');
    expect((await patch(gw.id, { tunnel_mode: 'full' })).status).toBe(422);

    // A full-tunnel device that becomes a gateway leaves the full tunnel.
    const device = (await (await post({ name: 'becomes-gw', tunnel_mode: 'full' })).json()) as Peer;
    const res = await patch(device.id, { is_gateway: true });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Peer).tunnel_mode).toBe('split');
  });

  it.each([
    [{ name: 'h1', tunnel_mode: 'everything' }, 'tunnel_mode'],
    [{ name: 'h2', tunnel_mode: null }, 'tunnel_mode'],
    [{ name: 'h3', allowed_ips: ['0.0.0.0/0'] }, 'allowed_ips.0'],
    [{ name: 'h4', allowed_ips: ['10.0.0.0/8\nEndpoint = evil'] }, 'allowed_ips.0'],
  ])('refuses %j naming %s', async (body, field) => {
    const res = await post(body);
    expect(res.status).toBe(422);
    expect(JSON.stringify(await res.json())).toContain(`"${field}"`);
  });

  it('the dashboard form creates split by default and full when chosen', async () => {
    await bootstrapAdmin({ ctx: systemContext(env) });
    const b = browser(env, '192.0.2.20');
    await b.password(ADMIN.password);
    const newPage = await (await b.request('GET', '/peers/new')).text();
    expect(newPage).toMatch(/value="split" checked/);
    const csrf = b.csrfOf(newPage);
    const full = await b.request('POST', '/peers', { _csrf: csrf, name: 'form-full', tunnel_mode: 'full' });
    expect(full.status).toBe(303);
    const id = Number(/\/peers\/(\d+)/.exec(full.headers.get('location')!)![1]);
    expect(await allowedIpsOf(id)).toBe('0.0.0.0/0');
    const bad = await b.request('POST', '/peers', { _csrf: csrf, name: 'form-bad', tunnel_mode: 'sideways' });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('must be &quot;split&quot; or &quot;full&quot;');
  });
});
