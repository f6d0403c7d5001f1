// Real: the Hono app (app.request), the peer service verbs, a libSQL temp-file database, config and QR
// rendering. Simulated: the WireGuard interface (a recording stand-in, test/helpers/peer-network.ts; the e2e
// test runs the real one), the clock, and the HTTP socket.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, peers } from '../../src/db/schema/index.ts';
import { publicKeyFromPrivate } from '../../src/wireguard/keys.ts';
import { testApp } from '../helpers/env.ts';
import { type RecordingNetwork, recordingPeerDeps } from '../helpers/peer-network.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let network: RecordingNetwork;
let write: string;
let read: string;
const clock = Date.parse('2026-11-21T12:00:00Z');

beforeAll(async () => {
  const deps = recordingPeerDeps();
  network = deps.network;
  env = await testApp({ now: () => new Date(clock), peers: deps });
  env.config.wireguard.endpoint = 'vpn.example.com';
  write = await env.tokenFor('write');
  read = await env.tokenFor('read');
});
afterAll(() => env.cleanup());

type Peer = { id: number; name: string; public_key: string; address: string; [k: string]: unknown };
const create = async (body: Record<string, unknown>) => {
  const res = await env.call('POST', '/api/v1/peers', { token: write, body });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Peer;
};

function parseConf(text: string) {
  const get = (key: string) => new RegExp(`^${key} = (.+)$`, 'm').exec(text)?.[1];
  return {
    privateKey: get('PrivateKey'),
    address: get('Address'),
    dns: get('DNS'),
    publicKey: get('PublicKey'),
    presharedKey: get('PresharedKey'),
    allowedIps: get('AllowedIPs'),
    endpoint: get('Endpoint'),
    keepalive: get('PersistentKeepalive'),
  };
}

describe('/api/v1/peers happy path', () => {
  it('creates, reads, lists, updates, downloads and deletes a peer', async () => {
    const created = await create({ name: 'alice-laptop', tags: ['staff'], allowed_ips: ['192.168.1.0/24'] });
    expect(created).toMatchObject({
      name: 'alice-laptop',
      address: '10.8.0.2',
      has_private_key: true,
      has_preshared_key: true,
      allowed_ips: ['10.8.0.0/24', '192.168.1.0/24'],
      dns: ['1.1.1.1'],
      enabled: true,
      tags: ['staff'],
      is_gateway: false,
      persistent_keepalive: null,
      stats: null,
    });
    expect(network.current).toEqual([created.public_key]);

    // The config is the only way out for the keys.
    const conf = await env.call('GET', `/api/v1/peers/${created.id}/config`, { token: write });
    expect(conf.status).toBe(200);
    expect(conf.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(conf.headers.get('content-disposition')).toBe('attachment; filename="alice-laptop.conf"');
    expect(conf.headers.get('cache-control')).toBe('no-store');
    const parsed = parseConf(await conf.text());
    expect(publicKeyFromPrivate(parsed.privateKey!)).toBe(created.public_key);
    expect(parsed).toMatchObject({
      address: '10.8.0.2/32',
      dns: '1.1.1.1',
      publicKey: network.serverPublicKey(),
      allowedIps: '10.8.0.0/24, 192.168.1.0/24',
      endpoint: 'vpn.example.com:51820',
    });
    expect(network.applied.at(-1)).toEqual([
      { publicKey: created.public_key, presharedKey: parsed.presharedKey, address: '10.8.0.2', fullTunnel: false },
    ]);

    // Secrets never appear anywhere else.
    const secrets = [parsed.privateKey!, parsed.presharedKey!];
    const responses = [
      JSON.stringify(created),
      await (await env.call('GET', '/api/v1/peers', { token: read })).text(),
      await (await env.call('GET', `/api/v1/peers/${created.id}`, { token: read })).text(),
      await (await env.call('GET', `/api/v1/peers/${created.id}/stats`, { token: read })).text(),
      await (
        await env.call('PUT', `/api/v1/peers/${created.id}`, { token: write, body: { tags: ['staff', 'laptops'] } })
      ).text(),
    ];
    const audit = await env.db.select().from(auditLog).where(eq(auditLog.resourceType, 'peer'));
    responses.push(JSON.stringify(audit));
    for (const text of responses) for (const secret of secrets) expect(text).not.toContain(secret);

    // Live stats come from the interface.
    network.stats.set(created.public_key, {
      latestHandshake: new Date(clock - 30_000),
      rxBytes: 1234,
      txBytes: 567,
      endpoint: '203.0.113.9:51000',
      sampledAt: new Date(clock),
    });
    const one = (await (await env.call('GET', `/api/v1/peers/${created.id}`, { token: read })).json()) as Peer;
    expect(one.stats).toEqual({
      latest_handshake_at: '2026-11-21T11:59:30.000Z',
      handshake_age_seconds: 30,
      rx_bytes: 1234,
      tx_bytes: 567,
      endpoint: '203.0.113.9:51000',
      online: true,
      sampled_at: '2026-11-21T12:00:00.000Z',
    });
    network.points.set(created.public_key, [
      { at: new Date(clock - 60_000), rxBytes: 10, txBytes: 20, latestHandshake: null },
      { at: new Date(clock), rxBytes: 30, txBytes: 40, latestHandshake: new Date(clock - 30_000) },
    ]);
    const history = await (await env.call('GET', `/api/v1/peers/${created.id}/stats`, { token: read })).json();
    expect(history).toMatchObject({
      peer_id: created.id,
      interval_seconds: 60,
      points: [
        { at: '2026-11-21T11:59:00.000Z', rx_bytes: 10, tx_bytes: 20, latest_handshake_at: null },
        { at: '2026-11-21T12:00:00.000Z', rx_bytes: 30, tx_bytes: 40, latest_handshake_at: '2026-11-21T11:59:30.000Z' },
      ],
    });

    // QR codes, SVG and PNG.
    const svg = await env.call('GET', `/api/v1/peers/${created.id}/qr?format=svg`, { token: write });
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(await svg.text()).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const png = await env.call('GET', `/api/v1/peers/${created.id}/qr?format=png`, { token: write });
    expect(png.headers.get('content-type')).toBe('image/png');
    const bytes = new Uint8Array(await png.arrayBuffer());
    expect([...bytes.slice(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

    // Disable: off the interface at once.
    const disabled = await env.call('PUT', `/api/v1/peers/${created.id}`, { token: write, body: { enabled: false } });
    expect(disabled.status).toBe(200);
    expect(network.current).toEqual([]);

    const del = await env.call('DELETE', `/api/v1/peers/${created.id}`, { token: write });
    expect(del.status).toBe(200);
    expect((await env.call('GET', `/api/v1/peers/${created.id}`, { token: read })).status).toBe(404);
    expect(await env.db.select().from(peers).where(eq(peers.id, created.id))).toEqual([]);
  });

  it('accepts a user-supplied public key and says where the private key goes', async () => {
    const key = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
    const p = await create({ name: 'byo-phone', public_key: key, preshared_key: null, dns: [], is_gateway: true });
    expect(p).toMatchObject({
      public_key: key,
      has_private_key: false,
      has_preshared_key: false,
      persistent_keepalive: 25,
    });
    const text = await (await env.call('GET', `/api/v1/peers/${p.id}/config`, { token: write })).text();
    expect(text).toContain('PrivateKey = <your private key');
    expect(text).not.toContain('PresharedKey');
    expect(text).not.toContain('DNS');
    expect(text).toContain('PersistentKeepalive = 25');
  });

  it('filters by tag, enabled and name, and paginates', async () => {
    for (let i = 0; i < 5; i++) await create({ name: `list-${i}`, tags: i % 2 ? ['odd'] : ['even'], enabled: i !== 4 });
    const get = async (qs: string) =>
      (await (await env.call('GET', `/api/v1/peers?${qs}`, { token: read })).json()) as {
        data: Peer[];
        pagination: { total: number; limit: number; offset: number };
      };
    expect((await get('tag=odd')).data.map((p) => p.name)).toEqual(['list-1', 'list-3']);
    expect((await get('q=list&enabled=false')).data.map((p) => p.name)).toEqual(['list-4']);
    expect((await get('tag=even&enabled=true')).data.map((p) => p.name)).toEqual(['list-0', 'list-2']);
    const page = await get('q=list-&limit=2&offset=2');
    expect(page.data.map((p) => p.name)).toEqual(['list-2', 'list-3']);
    expect(page.pagination).toEqual({ total: 5, limit: 2, offset: 2 });
    expect((await get('q=%25')).data).toEqual([]); // LIKE wildcards are literal
  });
});

describe('/api/v1/peers errors and security', () => {
  it('answers 401 without credentials', async () => {
    // A peer that exists: the refusal must not depend on the id being unknown.
    const p = await create({ name: 'unseen' });
    for (const [method, url] of [
      ['GET', '/api/v1/peers'],
      ['POST', '/api/v1/peers'],
      ['GET', `/api/v1/peers/${p.id}/config`],
      ['GET', `/api/v1/peers/${p.id}/qr`],
    ] as const) {
      const res = await env.call(method, url, method === 'POST' ? { body: { name: 'x' } } : {});
      expect(res.status, `${method} ${url}`).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
    }
  });

  it('answers 403 to a read token on changes and on secrets', async () => {
    const p = await create({ name: 'scoped' });
    const calls: [string, string, unknown?][] = [
      ['POST', '/api/v1/peers', { name: 'nope' }],
      ['PUT', `/api/v1/peers/${p.id}`, { enabled: false }],
      ['DELETE', `/api/v1/peers/${p.id}`],
      ['GET', `/api/v1/peers/${p.id}/config`],
      ['GET', `/api/v1/peers/${p.id}/qr?format=png`],
    ];
    for (const [method, url, body] of calls) {
      const res = await env.call(method, url, { token: read, body });
      expect(res.status, `${method} ${url}`).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: 'forbidden' } });
    }
    expect(network.current).toContain(p.public_key);
  });

  it('answers 422 naming every bad field', async () => {
    const res = await env.call('POST', '/api/v1/peers', {
      token: write,
      body: { name: '', dns: ['resolver.example'], allowed_ips: ['10.0.0.1/8'], public_key: 'abc', extra: 1 },
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; fields: { field: string; message: string }[] } };
    expect(body.error.code).toBe('validation_failed');
    const fields = body.error.fields.map((f) => f.field);
    for (const f of ['name', 'dns.0', 'allowed_ips.0', 'public_key']) expect(fields).toContain(f);
    expect(body.error.fields.some((f) => f.message.includes('extra'))).toBe(true);

    for (const [address, message] of [
      ['10.8.0.1', 'server'],
      ['10.8.0.0', 'network address'],
      ['10.8.0.255', 'broadcast'],
      ['192.168.1.5', 'inside the VPN subnet'],
    ]) {
      const r = await env.call('POST', '/api/v1/peers', { token: write, body: { name: `addr-${address}`, address } });
      expect(r.status).toBe(422);
      const b = (await r.json()) as { error: { fields: { field: string; message: string }[] } };
      expect(b.error.fields[0]!.field).toBe('address');
      expect(b.error.fields[0]!.message).toContain(message);
    }

    const server = await env.call('POST', '/api/v1/peers', {
      token: write,
      body: { name: 'impostor', public_key: network.serverPublicKey() },
    });
    expect(((await server.json()) as { error: { fields: { field: string }[] } }).error.fields[0]!.field).toBe(
      'public_key',
    );
    const past = await env.call('POST', '/api/v1/peers', {
      token: write,
      body: { name: 'late', expires_at: '2020-01-01T00:00:00Z' },
    });
    expect(((await past.json()) as { error: { fields: { field: string }[] } }).error.fields[0]!.field).toBe(
      'expires_at',
    );
    const existing = await create({ name: 'qr-format' });
    const qr = await env.call('GET', `/api/v1/peers/${existing.id}/qr?format=gif`, { token: write });
    expect(qr.status).toBe(422);
  });

  it('answers 409 naming the peer that holds a name, and 404 for unknown peers', async () => {
    const first = await create({ name: 'dup' });
    const res = await env.call('POST', '/api/v1/peers', { token: write, body: { name: 'dup' } });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { code: 'conflict', field: 'name', peer_id: first.id } });
    for (const url of ['/api/v1/peers/99999', '/api/v1/peers/99999/config', '/api/v1/peers/99999/stats']) {
      expect((await env.call('GET', url, { token: write })).status).toBe(404);
    }
  });

  it('answers 503 when WireGuard refuses the change, and nothing is saved', async () => {
    network.failNextApply = 'wg syncconf: exited with code 1';
    const res = await env.call('POST', '/api/v1/peers', { token: write, body: { name: 'refused' } });
    expect(res.status).toBe(503);
    expect(await env.db.select().from(peers).where(eq(peers.name, 'refused'))).toEqual([]);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await (await env.call('GET', '/api/v1/openapi.json', { token: read })).json()) as {
      paths: Record<string, unknown>;
    };
    for (const path of ['/peers', '/peers/{id}', '/peers/{id}/config', '/peers/{id}/qr', '/peers/{id}/stats']) {
      expect(doc.paths).toHaveProperty(path);
    }
  });
});

describe('without a WireGuard runtime or endpoint', () => {
  it('stores peers but cannot hand out configs (503 without a server key, 409 without an endpoint)', async () => {
    const offline = await testApp();
    try {
      const token = await offline.tokenFor('write');
      const res = await offline.call('POST', '/api/v1/peers', { token, body: { name: 'db-only' } });
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as Peer;
      const conf = await offline.call('GET', `/api/v1/peers/${id}/config`, { token });
      expect(conf.status).toBe(409);
      expect(await conf.text()).toContain('GATEHOUSE_WG_ENDPOINT');
      offline.config.wireguard.endpoint = 'vpn.example.com';
      const again = await offline.call('GET', `/api/v1/peers/${id}/config`, { token });
      expect(again.status).toBe(503);
      expect(await again.text()).toContain('server key is unknown');
    } finally {
      offline.cleanup();
    }
  });
});
