// Real: the Hono app (app.request), the policy services, validation and the libSQL temp-file database.
// Simulated: the data plane is a recorder standing in for Caddy's gatehouse module (it counts snapshot pushes
// and answers explain); policies-live.test.ts asks the real Caddy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import type { DataPlane, PolicyQuestion } from '../../src/caddy/data-plane.ts';
import type { Snapshot } from '../../src/caddy/snapshot.ts';
import { auditLog } from '../../src/db/schema/index.ts';
import { createToken } from '../../src/services/tokens/create.ts';
import { silentLogger, systemContext, testDb } from '../helpers/env.ts';

/** Counts PUT /gatehouse/v1/state and records explain questions, like the module would see them. */
class RecordingDataPlane {
  highestVersion = 0;
  appliedVersion: number | null = null;
  available = true;
  pushes: Snapshot[] = [];
  questions: PolicyQuestion[] = [];
  explainStatus = 200;
  async apply(snapshot: Snapshot) {
    this.pushes.push(snapshot);
    this.highestVersion = Math.max(this.highestVersion, snapshot.version);
    return { status: 'applied' as const };
  }
  async explain() {
    return { status: 200, body: {} };
  }
  async explainPolicy(question: PolicyQuestion) {
    this.questions.push(question);
    if (this.explainStatus === 422)
      return { status: 422, body: { errors: [{ path: 'policy.rules[0]', message: 'refused by the module' }] } };
    return {
      status: 200,
      body: {
        route: null,
        kind: question.kind,
        ip: question.ip,
        decision: { allowed: true, check: 'default', rule_index: null, rule: 'default allow', login: false },
      },
    };
  }
}

let db: Awaited<ReturnType<typeof testDb>>;
let dataPlane: RecordingDataPlane;
let app: ReturnType<typeof createApp>;
let writer: string;
let reader: string;

beforeAll(async () => {
  db = await testDb();
  dataPlane = new RecordingDataPlane();
  app = createApp({
    db: db.db,
    config: db.config,
    logger: silentLogger,
    now: () => new Date(),
    health: async () => ({
      status: 'ok',
      db: { state: 'ok' },
      caddy: { state: 'disabled' },
      wireguard: { state: 'unavailable' },
    }),
    hooks: { dataPlane: dataPlane as unknown as DataPlane },
  });
  const ctx = systemContext(db);
  writer = (await createToken({ ctx, input: { name: 'w', scope: 'write' } })).token;
  reader = (await createToken({ ctx, input: { name: 'r', scope: 'read' } })).token;
});
afterAll(() => db.cleanup());

async function call(method: string, url: string, body?: unknown, token = writer) {
  const res = await app.request(url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}
const fieldsOf = (body: Record<string, any>) => (body.error?.fields ?? []).map((f: { field: string }) => f.field);

const staffOrGermany = {
  rules: [
    { action: 'allow', name: 'office', conditions: [{ type: 'cidr', values: ['192.168.1.7/24'] }] },
    { action: 'allow', name: 'Germany', login: true, conditions: [{ type: 'country', values: ['de'] }] },
    {
      action: 'deny',
      conditions: [{ type: 'time', not: true, days: ['fri', 'mon'], from: '08:00', to: '18:00', tz: 'Europe/Berlin' }],
    },
  ],
  default: 'deny',
  rate_limit: { requests: 100, window: '1m' },
};

let nextPort = 14000;
async function route(type: 'http' | 'l4', name: string) {
  const body =
    type === 'http'
      ? // A password, so that policies with a login can be attached (a login needs a way to log in).
        {
          name,
          domain: `${name}.example.com`,
          target_kind: 'direct',
          target_host: '10.0.0.5',
          target_port: 8080,
          auth_password: 'a password for the login',
        }
      : {
          name,
          type: 'l4',
          l4_protocol: 'tcp',
          l4_listen_port: String(nextPort++),
          target_kind: 'direct',
          target_host: '10.0.0.5',
          target_port: 22,
        };
  const res = await call('POST', '/api/v1/routes', body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as number;
}
/** Attaches a shared policy through the route API. */
async function attach(routeId: number, policyId: number) {
  const res = await call('PUT', `/api/v1/routes/${routeId}`, { policy_id: policyId });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}
async function createPolicy(name: string, policy: unknown = staffOrGermany) {
  const res = await call('POST', '/api/v1/policies', { name, policy });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

describe('POST /api/v1/policies', () => {
  it('creates a policy, normalising its values, with an audit entry and its own id range', async () => {
    const body = await createPolicy('Büro oder Deutschland ✓'.replace(' ✓', ''));
    expect(body.id).toBeGreaterThan(8000);
    expect(body).toMatchObject({ name: 'Büro oder Deutschland', route_count: 0, routes: [], data_plane: 'unchanged' });
    expect(body.policy.rules[0].conditions[0].values).toEqual(['192.168.1.0/24']);
    expect(body.policy.rules[1].conditions[0].values).toEqual(['DE']);
    expect(body.policy.rules[2].conditions[0]).toMatchObject({ days: ['mon', 'fri'], tz: 'Europe/Berlin' });
    const audit = await db.db.select().from(auditLog);
    expect(audit.some((a) => a.action === 'policy.create' && a.resourceId === String(body.id))).toBe(true);
    expect(dataPlane.pushes).toHaveLength(0);
  });

  it('refuses a second policy with the same name (409, field name)', async () => {
    await createPolicy('twin');
    const res = await call('POST', '/api/v1/policies', { name: 'twin', policy: { default: 'allow' } });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain('twin');
  });

  it('needs the write scope', async () => {
    const res = await call('POST', '/api/v1/policies', { name: 'ro', policy: { default: 'allow' } }, reader);
    expect(res.status).toBe(403);
  });

  it.each([
    ['no default', { name: 'a1', policy: { rules: [] } }, ['policy.default']],
    [
      'a bad zone',
      {
        name: 'a2',
        policy: {
          default: 'deny',
          rules: [
            {
              action: 'allow',
              conditions: [{ type: 'time', days: ['mon'], from: '08:00', to: '09:00', tz: 'Mars/Olympus' }],
            },
          ],
        },
      },
      ['policy.rules.0.conditions.0.tz'],
    ],
    [
      'a bad time',
      {
        name: 'a3',
        policy: {
          default: 'deny',
          rules: [{ action: 'allow', conditions: [{ type: 'time', days: ['mon'], from: '25:00', to: '09:00' }] }],
        },
      },
      ['policy.rules.0.conditions.0.from'],
    ],
    [
      'from equal to',
      {
        name: 'a4',
        policy: {
          default: 'deny',
          rules: [{ action: 'allow', conditions: [{ type: 'time', days: ['mon'], from: '09:00', to: '09:00' }] }],
        },
      },
      ['policy.rules.0.conditions.0.to'],
    ],
    [
      'an unknown day',
      {
        name: 'a5',
        policy: {
          default: 'deny',
          rules: [{ action: 'allow', conditions: [{ type: 'time', days: ['someday'], from: '08:00', to: '09:00' }] }],
        },
      },
      ['policy.rules.0.conditions.0.days.0'],
    ],
    [
      'a NaN rate limit',
      { name: 'a6', policy: { default: 'allow', rate_limit: { requests: 'NaN', window: '1m' } } },
      ['policy.rate_limit.requests'],
    ],
    [
      'a rate limit of 0',
      { name: 'a7', policy: { default: 'allow', rate_limit: { requests: 0, window: '1m' } } },
      ['policy.rate_limit.requests'],
    ],
    [
      'a login on a deny rule',
      { name: 'a8', policy: { default: 'allow', rules: [{ action: 'deny', login: true }] } },
      ['policy.rules.0.login'],
    ],
    ['an unknown field', { name: 'a9', policy: { default: 'allow', acl: true } }, ['policy']],
    [
      'a bad CIDR',
      {
        name: 'b1',
        policy: {
          default: 'allow',
          rules: [{ action: 'deny', conditions: [{ type: 'cidr', values: ['10.0.0.0/33'] }] }],
        },
      },
      ['policy.rules.0.conditions.0.values.0'],
    ],
    ['an empty name', { name: '  ', policy: { default: 'allow' } }, ['name']],
    ['a name with markup', { name: '<script>', policy: { default: 'allow' } }, ['name']],
    ['a long description', { name: 'b2', description: 'x'.repeat(501), policy: { default: 'allow' } }, ['description']],
    [
      '33 conditions',
      {
        name: 'b3',
        policy: {
          default: 'allow',
          rules: [
            { action: 'deny', conditions: Array.from({ length: 33 }, () => ({ type: 'method', values: ['GET'] })) },
          ],
        },
      },
      ['policy.rules.0.conditions'],
    ],
  ])('refuses %s with field errors and writes nothing', async (_label, body, fields) => {
    const before = await call('GET', '/api/v1/policies?limit=500');
    const res = await call('POST', '/api/v1/policies', body);
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    for (const f of fields)
      expect(
        fieldsOf(res.body).some((x: string) => x.startsWith(f)),
        `${f} in ${fieldsOf(res.body)}`,
      ).toBe(true);
    expect((await call('GET', '/api/v1/policies?limit=500')).body.pagination.total).toBe(before.body.pagination.total);
  });

  it('names a peer that does not exist by its path', async () => {
    const peer = await call('POST', '/api/v1/peers', { name: 'alice' });
    expect(peer.status).toBe(201);
    const res = await call('POST', '/api/v1/policies', {
      name: 'peers',
      policy: {
        default: 'deny',
        rules: [{ action: 'allow', conditions: [{ type: 'peer', values: [String(peer.body.id), '999999'] }] }],
      },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.fields).toEqual([
      { field: 'policy.rules.0.conditions.0.values.1', message: 'peer 999999 does not exist' },
    ]);
    const ok = await call('POST', '/api/v1/policies', {
      name: 'peers',
      policy: {
        default: 'deny',
        rules: [{ action: 'allow', conditions: [{ type: 'peer', values: [String(peer.body.id)] }] }],
      },
    });
    expect(ok.status).toBe(201);
  });

  it('takes 5,000 rules and refuses 5,001', async () => {
    const rules = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        action: 'deny',
        conditions: [{ type: 'ip', values: [`10.${i >> 8}.${i & 255}.1`] }],
      }));
    const big = await call('POST', '/api/v1/policies', {
      name: 'big',
      policy: { default: 'allow', rules: rules(5000) },
    });
    expect(big.status).toBe(201);
    expect(big.body.policy.rules).toHaveLength(5000);
    const over = await call('POST', '/api/v1/policies', {
      name: 'too big',
      policy: { default: 'allow', rules: rules(5001) },
    });
    expect(over.status).toBe(422);
    expect(fieldsOf(over.body)).toContain('policy.rules');
  });

  it('answers odd JSON with a 4xx, not a crash', async () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    for (const body of ['{', deep, '{"name":"x","policy":{"default":"allow","rules":{"0":1}}}', 'null', '"policy"']) {
      const res = await call('POST', '/api/v1/policies', body);
      expect([400, 422]).toContain(res.status);
    }
    const huge = await call('POST', '/api/v1/policies', {
      name: 'huge',
      policy: {
        default: 'allow',
        rules: [
          {
            action: 'deny',
            conditions: [{ type: 'ip', values: Array.from({ length: 10_001 }, (_, i) => `10.1.${i >> 8}.${i & 255}`) }],
          },
        ],
      },
    });
    expect(huge.status).toBe(422);
  });
});

describe('GET /api/v1/policies', () => {
  it('lists with usage counts, filters by q (literal) and pages', async () => {
    const p = await createPolicy('used twice');
    await attach(await route('http', 'list-a'), p.id);
    await attach(await route('http', 'list-b'), p.id);
    const res = await call('GET', '/api/v1/policies?q=twice', undefined, reader);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([expect.objectContaining({ id: p.id, route_count: 2 })]);
    expect((await call('GET', '/api/v1/policies?q=%25', undefined, reader)).body.data).toEqual([]);
    const page = await call('GET', '/api/v1/policies?limit=1&offset=1', undefined, reader);
    expect(page.body.data).toHaveLength(1);
    expect(page.body.pagination.total).toBeGreaterThan(2);
    expect((await call('GET', '/api/v1/policies?limit=0')).status).toBe(422);
  });

  it('gets one with the routes that use it; 404 for an unknown id', async () => {
    // Without the login rule: an L4 route cannot take a policy with a login.
    const p = await createPolicy('detail', {
      ...staffOrGermany,
      rules: staffOrGermany.rules.map(({ login: _login, ...rule }: { login?: boolean }) => rule),
    });
    const r = await route('l4', 'ssh-detail');
    await attach(r, p.id);
    const res = await call('GET', `/api/v1/policies/${p.id}`, undefined, reader);
    expect(res.body.routes).toEqual([{ id: r, name: 'ssh-detail', type: 'l4' }]);
    expect((await call('GET', '/api/v1/policies/999999')).status).toBe(404);
  });
});

describe('PUT /api/v1/policies/{id}', () => {
  it('changes three routes in one transaction with ONE data-plane push', async () => {
    const p = await createPolicy('shared by three');
    for (const n of ['one', 'two', 'three']) await attach(await route('http', `three-${n}`), p.id);
    const pushesBefore = dataPlane.pushes.length;
    const res = await call('PUT', `/api/v1/policies/${p.id}`, { policy: { default: 'allow' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ route_count: 3, data_plane: 'applied', policy: { rules: [], default: 'allow' } });
    expect(dataPlane.pushes.length - pushesBefore).toBe(1);
    expect(res.body.config_version).toBe(dataPlane.pushes.at(-1)!.version);
  });

  it('does not push for a policy no route uses, nor for a description', async () => {
    const p = await createPolicy('unused');
    const before = dataPlane.pushes.length;
    const res = await call('PUT', `/api/v1/policies/${p.id}`, {
      description: 'just words',
      policy: { default: 'allow' },
    });
    expect(res.body).toMatchObject({ description: 'just words', data_plane: 'unchanged', config_version: null });
    expect(dataPlane.pushes.length).toBe(before);
  });

  it('keeps absent fields (partial)', async () => {
    const p = await createPolicy('partial');
    const res = await call('PUT', `/api/v1/policies/${p.id}`, { name: 'partial renamed' });
    expect(res.body).toMatchObject({ name: 'partial renamed', policy: { default: 'deny' } });
    expect(res.body.policy.rules).toHaveLength(3);
  });

  it('refuses HTTP-only conditions and logins while an L4 route uses it, naming the route', async () => {
    const p = await createPolicy('for ssh', { default: 'allow' });
    const r = await route('l4', 'ssh-box');
    await attach(r, p.id);
    const res = await call('PUT', `/api/v1/policies/${p.id}`, {
      policy: {
        default: 'deny',
        login: true,
        rules: [{ action: 'allow', conditions: [{ type: 'path_prefix', values: ['/api'] }] }],
      },
    });
    expect(res.status).toBe(422);
    expect(fieldsOf(res.body)).toEqual(['policy.login', 'policy.rules.0.conditions.0.type']);
    expect(res.body.error.message).toContain(`route ${r} (ssh-box)`);
    expect((await call('GET', `/api/v1/policies/${p.id}`)).body.policy).toEqual({ rules: [], default: 'allow' });
  });

  it('409 on a taken name, 404 on an unknown id, 422 on a bad body', async () => {
    const a = await createPolicy('name-a');
    await createPolicy('name-b');
    expect((await call('PUT', `/api/v1/policies/${a.id}`, { name: 'name-b' })).status).toBe(409);
    expect((await call('PUT', '/api/v1/policies/999999', { name: 'x' })).status).toBe(404);
    expect((await call('PUT', `/api/v1/policies/${a.id}`, { policy: { default: 'maybe' } })).status).toBe(422);
    expect((await call('PUT', `/api/v1/policies/${a.id}`, { color: 'red' })).status).toBe(422);
  });
});

describe('DELETE /api/v1/policies/{id}', () => {
  it('refuses while routes use it, naming them, then deletes with an audit entry', async () => {
    const p = await createPolicy('to delete');
    const r = await route('http', 'uses-deleted');
    await attach(r, p.id);
    const refused = await call('DELETE', `/api/v1/policies/${p.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain(`route ${r} (uses-deleted)`);
    await db.client.execute({ sql: 'update routes set policy_id = null where id = ?', args: [r] });
    const res = await call('DELETE', `/api/v1/policies/${p.id}`);
    expect(res.status).toBe(200);
    expect((await call('GET', `/api/v1/policies/${p.id}`)).status).toBe(404);
    expect((await call('DELETE', `/api/v1/policies/${p.id}`)).status).toBe(404);
    const audit = await db.db.select().from(auditLog);
    expect(audit.some((a) => a.action === 'policy.delete' && a.resourceId === String(p.id))).toBe(true);
  });
});

describe('explain', () => {
  it('asks the data plane with the snapshot form: peer addresses resolved, name carried', async () => {
    const peer = await call('POST', '/api/v1/peers', { name: 'bob', tags: ['staff'] });
    const p = await createPolicy('explained', {
      default: 'deny',
      rules: [
        {
          action: 'allow',
          conditions: [
            { type: 'peer_tag', values: ['staff'] },
            { type: 'peer', values: [String(peer.body.id)] },
          ],
        },
      ],
    });
    const res = await call(
      'POST',
      `/api/v1/policies/${p.id}/explain`,
      { ip: '::ffff:10.0.0.9', at: '2026-11-30T09:30:00+01:00', method: 'post', path: '/x' },
      reader,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const q = dataPlane.questions.at(-1)!;
    expect(q).toMatchObject({
      kind: 'http',
      ip: '10.0.0.9',
      at: '2026-11-30T09:30:00+01:00',
      method: 'POST',
      path: '/x',
    });
    expect(q.policy).toMatchObject({ name: 'explained' });
    const conditions = (q.policy as any).rules[0].conditions;
    expect(conditions[0].addresses).toEqual([peer.body.address]);
    expect(conditions[1].addresses).toEqual([peer.body.address]);
  });

  it('explains an unsaved policy; L4 refuses HTTP-only parts; the module’s 422 passes through', async () => {
    const ok = await call('POST', '/api/v1/policies/explain', {
      ip: '203.0.113.7',
      kind: 'l4',
      policy: { default: 'allow' },
    });
    expect(ok.status).toBe(200);
    expect(dataPlane.questions.at(-1)).toMatchObject({ kind: 'l4', ip: '203.0.113.7' });
    const l4 = await call('POST', '/api/v1/policies/explain', {
      ip: '203.0.113.7',
      kind: 'l4',
      policy: { default: 'allow', rules: [{ action: 'deny', conditions: [{ type: 'method', values: ['GET'] }] }] },
    });
    expect(l4.status).toBe(422);
    expect(fieldsOf(l4.body)).toEqual(['policy.rules.0.conditions.0.type']);
    dataPlane.explainStatus = 422;
    const refused = await call('POST', '/api/v1/policies/explain', { ip: '203.0.113.7', policy: { default: 'allow' } });
    dataPlane.explainStatus = 200;
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('upstream_rejected');
  });

  it.each([
    ['a bad address', { ip: '10.0.0.300' }, 'ip'],
    ['a hostname', { ip: 'example.com' }, 'ip'],
    ['a date that does not exist', { ip: '10.0.0.1', at: '2026-02-30T10:00:00Z' }, 'at'],
    ['an hour 25', { ip: '10.0.0.1', at: '2026-02-03T25:00:00Z' }, 'at'],
    ['no zone', { ip: '10.0.0.1', at: '2026-02-03T10:00:00' }, 'at'],
    ['the year 9999', { ip: '10.0.0.1', at: '9999-01-01T00:00:00Z' }, 'at'],
    ['the year 0001', { ip: '10.0.0.1', at: '0001-01-01T00:00:00Z' }, 'at'],
    ['NaN', { ip: '10.0.0.1', at: 'NaN' }, 'at'],
    ['a method with a space', { ip: '10.0.0.1', method: 'GE T' }, 'method'],
    ['a relative path', { ip: '10.0.0.1', path: 'x/y' }, 'path'],
    ['a path with a query', { ip: '10.0.0.1', path: '/x?y=1' }, 'path'],
    ['an unknown kind', { ip: '10.0.0.1', kind: 'udp' }, 'kind'],
  ])('refuses %s', async (_label, question, field) => {
    const res = await call('POST', '/api/v1/policies/explain', { ...question, policy: { default: 'allow' } });
    expect(res.status).toBe(422);
    expect(fieldsOf(res.body)).toContain(field);
  });

  it('503 when the data plane is down; 404 for an unknown policy', async () => {
    expect((await call('POST', '/api/v1/policies/999999/explain', { ip: '10.0.0.1' })).status).toBe(404);
    dataPlane.available = false;
    const res = await call('POST', '/api/v1/policies/explain', { ip: '10.0.0.1', policy: { default: 'allow' } });
    dataPlane.available = true;
    expect(res.status).toBe(503);
  });
});
