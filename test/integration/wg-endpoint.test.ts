// Issue 14 item 2: after the quick start a peer must get a config. The WireGuard endpoint comes from
// GATEHOUSE_WG_ENDPOINT (fixed), else the `wg_endpoint` setting (no restart), else GATEHOUSE_PUBLIC_DOMAIN; until
// one is known the overview warns (with a link to the setting) instead of saying "All systems normal".
// Real: the Hono app, the settings and peer verbs, a temp libSQL database. Simulated: the WireGuard interface.
import { afterEach, describe, expect, it } from 'vitest';
import { bootstrapAdmin } from '../../src/services/admin/bootstrap.ts';
import { ADMIN, browser } from '../helpers/admin-login.ts';
import { systemContext, testApp } from '../helpers/env.ts';
import { recordingPeerDeps } from '../helpers/peer-network.ts';

type Env = Awaited<ReturnType<typeof testApp>>;
let env: Env;
afterEach(() => env?.cleanup());

async function setup(config: { endpoint?: string; publicDomain?: string } = {}) {
  env = await testApp({ peers: recordingPeerDeps() });
  env.config.wireguard.endpoint = config.endpoint;
  env.config.publicDomain = config.publicDomain;
  const admin = await env.tokenFor('admin');
  const res = await env.call('POST', '/api/v1/peers', { token: admin, body: { name: 'phone' } });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: number };
  const config_ = () => env.call('GET', `/api/v1/peers/${id}/config`, { token: admin });
  const patch = (body: unknown) => env.call('PATCH', '/api/v1/settings', { token: admin, body });
  const settings = async () => (await (await env.call('GET', '/api/v1/settings', { token: admin })).json()) as any;
  return { config: config_, patch, settings };
}

const endpointLine = async (res: Response) => /^Endpoint = (.+)$/m.exec(await res.text())?.[1];

describe('the WireGuard endpoint', () => {
  it('is unknown after the quick start (409 naming the setting), and a config comes out once it is set', async () => {
    const t = await setup();
    const before = await t.config();
    expect(before.status).toBe(409);
    expect(await before.text()).toMatch(/wg_endpoint|Settings/);
    expect((await t.settings()).wireguard_endpoint).toMatchObject({ effective: null, source: null });

    const saved = await t.patch({ wg_endpoint: 'VPN.Example.com' });
    expect(saved.status, await saved.clone().text()).toBe(200);
    expect((await saved.json()).wireguard_endpoint).toMatchObject({
      effective: 'vpn.example.com:51820',
      source: 'setting',
      setting: 'vpn.example.com',
    });
    const after = await t.config();
    expect(after.status).toBe(200);
    expect(await endpointLine(after)).toBe('vpn.example.com:51820');

    // A port of its own is kept; null clears it again.
    await t.patch({ wg_endpoint: '203.0.113.7:443' });
    expect(await endpointLine(await t.config())).toBe('203.0.113.7:443');
    await t.patch({ wg_endpoint: null });
    expect((await t.config()).status).toBe(409);
  });

  it('is derived from GATEHOUSE_PUBLIC_DOMAIN with GATEHOUSE_WG_PORT', async () => {
    const t = await setup({ publicDomain: 'gate.example.com' });
    expect(await endpointLine(await t.config())).toBe('gate.example.com:51820');
    expect((await t.settings()).wireguard_endpoint).toMatchObject({ source: 'public_domain' });
    // The admin's setting is more specific than the derived default.
    await t.patch({ wg_endpoint: 'vpn.example.net' });
    expect(await endpointLine(await t.config())).toBe('vpn.example.net:51820');
  });

  it('GATEHOUSE_WG_ENDPOINT wins, and the setting says it is fixed by the environment', async () => {
    const t = await setup({ endpoint: '198.51.100.4:51000', publicDomain: 'gate.example.com' });
    expect(await endpointLine(await t.config())).toBe('198.51.100.4:51000');
    expect((await t.settings()).wireguard_endpoint).toMatchObject({
      source: 'environment',
      env: 'GATEHOUSE_WG_ENDPOINT',
    });
    const res = await t.patch({ wg_endpoint: 'other.example.com' });
    expect(res.status).toBe(422);
    expect(JSON.stringify(await res.json())).toContain('GATEHOUSE_WG_ENDPOINT');
    expect(await endpointLine(await t.config())).toBe('198.51.100.4:51000');
  });

  it.each([
    ['vpn.example.com\nPrivateKey = x'],
    ['vpn.example.com:0'],
    ['vpn.example.com:65536'],
    ['http://vpn.example.com'],
    ['vpn example.com'],
    ['-bad.example.com'],
    ['[::1'],
    ['a'.repeat(300)],
    [42],
    [''],
  ])('refuses %j with a field error and changes nothing', async (value) => {
    const t = await setup();
    await t.patch({ wg_endpoint: 'vpn.example.com' });
    const res = await t.patch({ wg_endpoint: value });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { details?: { fields?: { field: string }[] } } };
    expect(JSON.stringify(body)).toContain('wg_endpoint');
    expect((await t.settings()).wg_endpoint).toBe('vpn.example.com');
  });
});

describe('the overview', () => {
  const overview = async () => {
    await bootstrapAdmin({ ctx: systemContext(env) });
    const b = browser(env, '192.0.2.10');
    await b.password(ADMIN.password);
    return (await b.request('GET', '/')).text();
  };

  it('warns with a link to the setting while the endpoint is unknown, and is normal once it is set', async () => {
    const t = await setup();
    const html = await overview();
    expect(html).not.toContain('All systems normal');
    expect(html).toContain('WireGuard endpoint is not set');
    expect(html).toContain('href="/settings#wg-endpoint"');

    await t.patch({ wg_endpoint: 'vpn.example.com' });
    const fixed = await overview();
    expect(fixed).toContain('All systems normal');
    expect(fixed).not.toContain('WireGuard endpoint is not set');
  });

  it('the settings page sets it, refusing a hostile value with a field error', async () => {
    const t = await setup();
    await bootstrapAdmin({ ctx: systemContext(env) });
    const b = browser(env, '192.0.2.11');
    await b.password(ADMIN.password);
    const csrf = b.csrfOf(await (await b.request('GET', '/settings')).text());
    const bad = await b.request('POST', '/settings/wg-endpoint', {
      _csrf: csrf,
      wg_endpoint: 'vpn.example.com\nDNS = 1',
    });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toMatch(/aria-invalid="true"[\s\S]*must be a host name/);
    expect((await t.settings()).wg_endpoint).toBeNull();
    const ok = await b.request('POST', '/settings/wg-endpoint', { _csrf: csrf, wg_endpoint: 'vpn.example.com' });
    expect(ok.status).toBe(303);
    expect(await endpointLine(await t.config())).toBe('vpn.example.com:51820');
    expect(await (await b.request('GET', '/settings')).text()).toContain('vpn.example.com:51820');
  });
});
