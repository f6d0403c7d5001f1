// Real: the Hono app (app.request), route services, validation, conflict detection and the libSQL temp-file
// database. Simulated: no Caddy here (the data plane is absent, so writes report data_plane: "pending");
// routes-live.test.ts covers the same write path against the real Caddy binary. GateControl is the commercial gateway
// whose route API field names Gatehouse accepts verbatim (docs/architecture.md#gatecontrol-compatibility).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, peers, routes } from '../../src/db/schema/index.ts';
import { testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let writer: string;
let reader: string;

beforeAll(async () => {
  env = await testApp();
  writer = await env.tokenFor('write');
  reader = await env.tokenFor('read');
});
afterAll(() => env.cleanup());

async function post(body: unknown, token = writer) {
  const res = await env.call('POST', '/api/v1/routes', { token, body });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}
const fieldsOf = (body: Record<string, any>) =>
  (body.error?.fields ?? []).map((f: { field: string }) => f.field).sort();
let nextPort = 12000;
const port = () => nextPort++;

describe('POST /api/v1/routes', () => {
  it('creates an HTTP route with GateControl field names, normalising the domain', async () => {
    const { status, body } = await post({
      domain: 'Bücher.Example.COM.',
      target_kind: 'direct',
      target_host: '10.0.0.5',
      target_port: 8080,
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({
      type: 'http',
      domain: 'xn--bcher-kva.example.com',
      target_kind: 'direct',
      target_host: '10.0.0.5',
      target_port: 8080,
      enabled: true,
      acl_enabled: false,
      rate_limit_window: '1m',
      data_plane: 'pending',
    });
    expect(body.config_version).toBeGreaterThan(0);
    const get = await env.call('GET', `/api/v1/routes/${body.id}`, { token: reader });
    expect(await get.json()).toMatchObject({ id: body.id, domain: 'xn--bcher-kva.example.com' });
  });

  it('creates an L4 port-range route and reports the range as GateControl does', async () => {
    const { status, body } = await post({
      type: 'l4',
      l4_protocol: 'udp',
      l4_listen_port: '27015-27017',
      target_kind: 'direct',
      target_host: '192.168.2.50',
      target_port: 27015,
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({ l4_listen_port: '27015-27017', l4_protocol: 'udp', l4_tls_mode: 'none' });
  });

  it.each([
    ['a missing domain on an HTTP route', { target_host: '10.0.0.1', target_port: 80 }, ['domain']],
    ['a wildcard in the middle', { domain: 'a.*.example.com', target_host: '10.0.0.1', target_port: 80 }, ['domain']],
    ['a port out of range', { domain: 'p.example.com', target_host: '10.0.0.1', target_port: 70000 }, ['target_port']],
    [
      'a metadata target',
      { domain: 'm.example.com', target_host: '169.254.169.254', target_port: 80 },
      ['target_host'],
    ],
    ['a link-local v6 target', { domain: 'm6.example.com', target_host: 'fe80::1', target_port: 80 }, ['target_host']],
    [
      'the control plane as target',
      { domain: 'cp.example.com', target_host: '127.0.0.1', target_port: 3000 },
      ['target_port'],
    ],
    [
      'the Caddy admin port as target',
      { domain: 'ca.example.com', target_host: 'localhost', target_port: 2019 },
      ['target_port'],
    ],
    [
      'a range over the limit',
      { type: 'l4', l4_listen_port: '20000-20100', target_host: '10.0.0.1', target_port: 20000 },
      ['l4_listen_port'],
    ],
    [
      'a blocked listen port',
      { type: 'l4', l4_listen_port: 22, target_host: '10.0.0.1', target_port: 22 },
      ['l4_listen_port'],
    ],
    [
      'a range touching a blocked port',
      { type: 'l4', l4_listen_port: '2990-3010', target_host: '10.0.0.1', target_port: 2990 },
      ['l4_listen_port'],
    ],
    [
      'TLS terminate on UDP',
      {
        type: 'l4',
        l4_protocol: 'udp',
        l4_tls_mode: 'terminate',
        domain: 'u.example.com',
        l4_listen_port: 15000,
        target_host: '10.0.0.1',
        target_port: 1,
      },
      ['l4_tls_mode'],
    ],
    [
      'TLS passthrough without a domain',
      { type: 'l4', l4_tls_mode: 'passthrough', l4_listen_port: 15001, target_host: '10.0.0.1', target_port: 443 },
      ['domain'],
    ],
    [
      'a target range past 65535',
      { type: 'l4', l4_listen_port: '15010-15019', target_host: '10.0.0.1', target_port: 65530 },
      ['target_port'],
    ],
    [
      'a gateway target without its fields',
      { target_kind: 'gateway', domain: 'g.example.com' },
      ['gateway_id', 'target_lan_host', 'target_lan_port'],
    ],
    [
      'WoL without a gateway target',
      { domain: 'w.example.com', target_host: '10.0.0.1', target_port: 80, wol_enabled: true },
      ['wol_enabled', 'wol_mac'],
    ],
    [
      'a bad MAC',
      {
        target_kind: 'gateway',
        gateway_id: 1,
        target_lan_host: '192.168.1.5',
        target_lan_port: 80,
        domain: 'w2.example.com',
        wol_mac: 'zz',
      },
      ['wol_mac'],
    ],
    [
      'a rate-limit window GateControl would silently change',
      { domain: 'r.example.com', target_host: '10.0.0.1', target_port: 80, rate_limit_window: '2m' },
      ['rate_limit_window'],
    ],
    [
      'too many requests per window',
      { domain: 'r2.example.com', target_host: '10.0.0.1', target_port: 80, rate_limit_requests: 100001 },
      ['rate_limit_requests'],
    ],
    [
      'bad IP filter rules',
      {
        domain: 'f.example.com',
        target_host: '10.0.0.1',
        target_port: 80,
        ip_filter_rules: [
          { type: 'cidr', value: '10.0.0.0/33' },
          { type: 'ip', value: '1.2.3' },
          { type: 'country', value: 'DEU' },
        ],
      },
      ['ip_filter_rules.0.value', 'ip_filter_rules.1.value', 'ip_filter_rules.2.value'],
    ],
    [
      'an ACL peer that does not exist',
      { domain: 'a.example.com', target_host: '10.0.0.1', target_port: 80, acl_peers: [999] },
      ['acl_peers.0'],
    ],
    [
      'a header with a line break',
      {
        domain: 'h.example.com',
        target_host: '10.0.0.1',
        target_port: 80,
        custom_headers: [{ name: 'X-A', value: 'a\r\nb' }],
      },
      ['custom_headers.0.value'],
    ],
    [
      'an unknown field',
      { domain: 'u2.example.com', target_host: '10.0.0.1', target_port: 80, surprise: 1 },
      ['(body)'],
    ],
  ])('refuses %s with 422 naming the field, and writes nothing', async (_label, input, fields) => {
    const before = (await env.db.select().from(routes)).length;
    const { status, body } = await post(input);
    expect(status).toBe(422);
    expect(body.error.code).toBe('validation_failed');
    expect(fieldsOf(body)).toEqual(expect.arrayContaining(fields));
    expect((await env.db.select().from(routes)).length).toBe(before);
  });

  it('lets a TLS passthrough route share the HTTPS port (and only passthrough)', async () => {
    const ok = await post({
      type: 'l4',
      l4_tls_mode: 'passthrough',
      l4_listen_port: 443,
      domain: 'nas.example.com',
      target_host: '10.0.0.9',
      target_port: 443,
    });
    expect(ok.status).toBe(201);
    const terminate = await post({
      type: 'l4',
      l4_tls_mode: 'terminate',
      l4_listen_port: 443,
      domain: 'x.example.com',
      target_host: '10.0.0.9',
      target_port: 22,
    });
    expect(terminate.status).toBe(422);
    expect(terminate.body.error.fields[0].message).toContain('only TLS passthrough routes may share the HTTPS port');
  });
});

describe('conflicts', () => {
  it('answers 409 naming both routes and the nearest free port when a plain port is taken', async () => {
    const p = port();
    const first = await post({ type: 'l4', l4_listen_port: p, target_host: '10.0.0.2', target_port: 22 });
    expect(first.status).toBe(201);
    const clash = await post({ type: 'l4', l4_listen_port: p, target_host: '10.0.0.3', target_port: 22 });
    expect(clash.status).toBe(409);
    expect(clash.body.error).toMatchObject({
      code: 'conflict',
      conflicting_route_id: first.body.id,
      field: 'l4_listen_port',
      suggested_port: String(p + 1),
    });
    expect(clash.body.error.message).toContain(`route ${first.body.id}`);
    // The same port on the other protocol is fine.
    expect(
      (await post({ type: 'l4', l4_protocol: 'udp', l4_listen_port: p, target_host: '10.0.0.3', target_port: 22 }))
        .status,
    ).toBe(201);
  });

  it('suggests a port past the taken neighbours, which the conflict check itself does not read', async () => {
    // The check reads only overlapping routes (src/services/routes/prepare.ts); the suggestion must still see
    // p+1 and p+2, which do not overlap the draft's port p.
    const p = port();
    port();
    port();
    for (const q of [p, p + 1, p + 2])
      expect((await post({ type: 'l4', l4_listen_port: q, target_host: '10.0.0.2', target_port: 22 })).status).toBe(
        201,
      );
    const clash = await post({ type: 'l4', l4_listen_port: p + 1, target_host: '10.0.0.3', target_port: 22 });
    expect(clash.status).toBe(409);
    expect(clash.body.error.suggested_port).toBe(String(p + 3));
  });

  it('names both ids on update and keeps the route unchanged', async () => {
    const a = await post({ type: 'l4', l4_listen_port: port(), target_host: '10.0.0.2', target_port: 1 });
    const b = await post({ type: 'l4', l4_listen_port: port(), target_host: '10.0.0.2', target_port: 2 });
    const res = await env.call('PUT', `/api/v1/routes/${b.body.id}`, {
      token: writer,
      body: { l4_listen_port: a.body.l4_listen_port },
    });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { route_id: b.body.id, conflicting_route_id: a.body.id } });
    const still = await env.call('GET', `/api/v1/routes/${b.body.id}`, { token: reader });
    expect(((await still.json()) as { l4_listen_port: string }).l4_listen_port).toBe(b.body.l4_listen_port);
  });

  it('detects overlapping ranges and suggests a free range of the same size', async () => {
    const a = await post({ type: 'l4', l4_listen_port: '13000-13009', target_host: '10.0.0.2', target_port: 13000 });
    const clash = await post({
      type: 'l4',
      l4_listen_port: '13005-13014',
      target_host: '10.0.0.2',
      target_port: 13005,
    });
    expect(clash.status).toBe(409);
    expect(clash.body.error.conflicting_route_id).toBe(a.body.id);
    expect(clash.body.error.suggested_port).toMatch(/^\d+-\d+$/);
    const [s, e] = clash.body.error.suggested_port.split('-').map(Number);
    expect(e - s).toBe(9);
    expect(s > 13009 || e < 13000).toBe(true);
  });

  it('lets TLS routes share a port with distinct SNI names, but not the same name, and not beside a plain route', async () => {
    const p = port();
    const tls = (domain: string) =>
      post({
        type: 'l4',
        l4_tls_mode: 'passthrough',
        l4_listen_port: p,
        domain,
        target_host: '10.0.0.4',
        target_port: 3389,
      });
    expect((await tls('rdp1.example.com')).status).toBe(201);
    expect((await tls('rdp2.example.com')).status).toBe(201);
    const same = await tls('rdp1.example.com');
    expect(same.status).toBe(409);
    expect(same.body.error.message).toContain('SNI name rdp1.example.com');
    const plain = await post({ type: 'l4', l4_listen_port: p, target_host: '10.0.0.4', target_port: 1 });
    expect(plain.status).toBe(409);
  });

  it('keeps HTTP domains unique', async () => {
    const a = await post({ domain: 'dup.example.com', target_host: '10.0.0.1', target_port: 80 });
    const b = await post({ domain: 'DUP.example.com', target_host: '10.0.0.2', target_port: 80 });
    expect(b.status).toBe(409);
    expect(b.body.error.conflicting_route_id).toBe(a.body.id);
  });

  it('ignores disabled routes: a disabled route does not hold its port', async () => {
    const p = port();
    expect(
      (await post({ type: 'l4', l4_listen_port: p, enabled: false, target_host: '10.0.0.2', target_port: 1 })).status,
    ).toBe(201);
    expect((await post({ type: 'l4', l4_listen_port: p, target_host: '10.0.0.2', target_port: 2 })).status).toBe(201);
  });
});

describe('updates, deletes, listing and security', () => {
  it('updates partially, audits before/after, and deletes', async () => {
    const created = await post({ domain: 'edit.example.com', target_host: '10.0.0.1', target_port: 80 });
    const res = await env.call('PUT', `/api/v1/routes/${created.body.id}`, {
      token: writer,
      body: { rate_limit_enabled: true, rate_limit_requests: 20, rate_limit_window: '1s' },
    });
    expect(res.status).toBe(200);
    const updated = (await res.json()) as Record<string, unknown>;
    expect(updated).toMatchObject({
      domain: 'edit.example.com',
      target_port: 80,
      rate_limit_enabled: true,
      rate_limit_requests: 20,
    });
    expect(updated.config_version as number).toBeGreaterThan(created.body.config_version);
    const audit = (await env.db.select().from(auditLog)).filter(
      (a) => a.action === 'route.update' && a.resourceId === String(created.body.id),
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]!.before).toMatchObject({ rate_limit_enabled: false });
    expect(audit[0]!.after).toMatchObject({ rate_limit_enabled: true });

    expect((await env.call('DELETE', `/api/v1/routes/${created.body.id}`, { token: writer })).status).toBe(200);
    expect((await env.call('GET', `/api/v1/routes/${created.body.id}`, { token: reader })).status).toBe(404);
    expect((await env.call('DELETE', `/api/v1/routes/${created.body.id}`, { token: writer })).status).toBe(404);
  });

  it('accepts GateControl ACL calls and checks the peers exist', async () => {
    const now = new Date();
    const [peer] = await env.db
      .insert(peers)
      .values({
        name: 'laptop',
        publicKey: 'k'.repeat(43) + '=',
        address: '10.8.0.3',
        dns: [],
        allowedIps: [],
        tags: ['admins'],
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    const created = await post({ domain: 'acl.example.com', target_host: '10.0.0.1', target_port: 80 });
    const res = await env.call('PUT', `/api/v1/routes/${created.body.id}`, {
      token: writer,
      body: { acl_enabled: true, acl_peers: [peer!.id, 'tag:admins'] },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ acl_enabled: true, acl_peers: [peer!.id, 'tag:admins'] });
  });

  it('lists with filters and pagination', async () => {
    type Page = { data: { id: number; type: string }[]; pagination: { total: number; limit: number; offset: number } };
    const get = async (query: string) =>
      (await (await env.call('GET', `/api/v1/routes?${query}`, { token: reader })).json()) as Page;
    const all = await get('limit=500');
    const l4Total = all.data.filter((r) => r.type === 'l4').length;
    const first = await get('type=l4&limit=2');
    expect(first.data).toHaveLength(2);
    expect(first.data.every((r) => r.type === 'l4')).toBe(true);
    expect(first.pagination).toEqual({ total: l4Total, limit: 2, offset: 0 });
    const second = await get('type=l4&limit=2&offset=2');
    expect(second.pagination.offset).toBe(2);
    expect(second.data.map((r) => r.id)).not.toContain(first.data[0]!.id);
    expect((await env.call('GET', '/api/v1/routes?limit=0', { token: reader })).status).toBe(422);
    const q = (await (await env.call('GET', '/api/v1/routes?q=dup.example', { token: reader })).json()) as {
      data: { domain: string }[];
    };
    expect(q.data.map((r) => r.domain)).toEqual(['dup.example.com']);
    const percent = (await (await env.call('GET', '/api/v1/routes?q=%25', { token: reader })).json()) as {
      data: unknown[];
    };
    expect(percent.data).toHaveLength(0);
  });

  it('refuses unauthenticated calls and writes with a read token', async () => {
    expect((await env.call('GET', '/api/v1/routes')).status).toBe(401);
    const before = (await env.db.select().from(routes)).length;
    const res = await post({ domain: 'ro.example.com', target_host: '10.0.0.1', target_port: 80 }, reader);
    expect(res.status).toBe(403);
    expect((await env.db.select().from(routes)).length).toBe(before);
    const first = (await env.db.select().from(routes))[0]!;
    expect((await env.call('DELETE', `/api/v1/routes/${first.id}`, { token: reader })).status).toBe(403);
    expect(
      (await env.call('PUT', `/api/v1/routes/${first.id}`, { token: reader, body: { enabled: false } })).status,
    ).toBe(403);
  });
});
