// Real: the Hono app, route services, the policy schema, libSQL temp-file database. Simulated: no Caddy (writes
// report data_plane "pending"); the data plane's side is in test/integration/policies-live.test.ts.
// Issue 15: a route has a shared policy (policy_id) or its own (policy); the GateControl fields are a view of its
// own one (docs/architecture.md "GateControl compatibility").
import { existsSync, readFileSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peers, policies, routes } from '../../src/db/schema/index.ts';
import type { Policy } from '../../src/policy/schema.ts';
import { removePeersFromAcls } from '../../src/services/routes/peer-removed.ts';
import { systemContext, testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let writer: string;
let staff: number;
let guest: number;
let office: number;
let httpOnly: number;

beforeAll(async () => {
  env = await testApp();
  writer = await env.tokenFor('write');
  const now = new Date();
  const made = await env.db
    .insert(peers)
    .values(
      ['staff', 'guest'].map((name, i) => ({
        name,
        publicKey: `${String.fromCharCode(97 + i).repeat(43)}=`,
        address: `10.8.0.${i + 2}`,
        dns: [],
        allowedIps: [],
        tags: [name],
        createdAt: now,
        updatedAt: now,
      })),
    )
    .returning();
  [staff, guest] = made.map((p) => p.id) as [number, number];
  const shared = await env.db
    .insert(policies)
    .values([
      {
        name: 'office',
        policy: {
          rules: [{ action: 'allow', conditions: [{ type: 'peer_tag', values: ['staff'] }] }],
          default: 'deny',
        },
        createdAt: now,
        updatedAt: now,
      },
      {
        name: 'api-only',
        policy: {
          rules: [{ action: 'allow', conditions: [{ type: 'path_prefix', values: ['/api'] }] }],
          default: 'deny',
        },
        createdAt: now,
        updatedAt: now,
      },
    ])
    .returning();
  [office, httpOnly] = shared.map((p) => p.id) as [number, number];
});
afterAll(() => env.cleanup());

type Body = Record<string, any>;
async function call(method: string, url: string, body?: unknown) {
  const res = await env.call(method, url, { token: writer, body });
  return { status: res.status, body: (await res.json()) as Body };
}
let n = 0;
const httpRoute = async (extra: Body = {}) =>
  call('POST', '/api/v1/routes', { domain: `p${n++}.example.com`, target_host: '10.0.0.1', target_port: 80, ...extra });
const fieldsOf = (body: Body) => (body.error?.fields ?? []).map((f: { field: string }) => f.field).sort();

/** shared/ lies beside the repository (CI, /work/main) or beside the worktrees' folder (a helper's worktree). */
const REFERENCE = ['../../../shared/reference/', '../../../../shared/reference/']
  .map((dir) => new URL(`${dir}004_6d73ddd3ed72f60c.txt`, import.meta.url).pathname)
  .find((file) => existsSync(file));

/** The GateControl calls of shared/reference/004_*.txt (access control), as the docs write them. */
function referenceCalls(): unknown[] {
  const doc = readFileSync(REFERENCE!, 'utf8');
  return [...doc.matchAll(/-d '(\{.*\})'/g)].map((m) => JSON.parse(m[1]!));
}

describe('route policies over the API', () => {
  it('a new route has the open inline policy, shown as GateControl fields', async () => {
    const { status, body } = await httpRoute();
    expect(status).toBe(201);
    expect(body).toMatchObject({
      policy_id: null,
      policy: { rules: [], default: 'allow' },
      policy_expressible: true,
      acl_enabled: false,
      ip_filter_enabled: false,
      rate_limit_enabled: false,
      auth_enabled: false,
    });
  });

  it('GateControl calls from the reference docs work verbatim and edit the inline policy', async (t) => {
    if (!REFERENCE) {
      console.warn('skipped: shared/reference/ is not beside the repository');
      t.skip();
    }
    const calls = referenceCalls();
    expect(calls.length).toBeGreaterThanOrEqual(4);
    const route = (await httpRoute()).body;
    for (const raw of calls) {
      // The docs' ACL names peers 1 and 3 of their installation; ours are `staff` and `guest`.
      const body = 'acl_peers' in (raw as Body) ? { ...(raw as Body), acl_peers: [staff, guest] } : raw;
      const res = await call('PUT', `/api/v1/routes/${route.id}`, body);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      // The view groups IP filter rules by type (ip, cidr, country), as the policy stores them.
      const { ip_filter_rules: rules, ...rest } = body as Body;
      expect(res.body).toMatchObject({ ...rest, policy_expressible: true, policy_id: null });
      if (rules) expect(res.body.ip_filter_rules).toEqual(expect.arrayContaining(rules));
      if (rules) expect(res.body.ip_filter_rules).toHaveLength(rules.length);
    }
    const final = (await call('GET', `/api/v1/routes/${route.id}`)).body;
    expect(final.policy).toEqual({
      rules: [
        {
          action: 'deny',
          name: 'peer ACL',
          conditions: [{ type: 'peer', not: true, values: [String(staff), String(guest)] }],
        },
        { action: 'deny', name: 'IP filter (blacklist)', conditions: [{ type: 'country', values: ['CN', 'RU'] }] },
      ],
      default: 'allow',
      rate_limit: { requests: 100, window: '1m' },
    });
  });

  it('an inline policy GateControl cannot show: policy_expressible false, its fields read off, writing them is 409', async () => {
    const policy: Policy = {
      rules: [
        { action: 'allow', conditions: [{ type: 'peer_tag', values: ['staff'] }] },
        { action: 'allow', login: true, conditions: [{ type: 'country', values: ['de'] }] },
      ],
      default: 'deny',
    };
    const { status, body } = await httpRoute({ policy, auth_password: 'correct horse battery' });
    expect(status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({ policy_expressible: false, acl_enabled: false, auth_enabled: false });
    expect(body.policy.rules[1].conditions[0].values).toEqual(['DE']);
    const before = await env.db.select().from(routes).where(eq(routes.id, body.id));
    const res = await call('PUT', `/api/v1/routes/${body.id}`, { rate_limit_enabled: true });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/cannot show .*edit "policy"/);
    expect(await env.db.select().from(routes).where(eq(routes.id, body.id))).toEqual(before);
  });

  it('a login in the policy needs a way to log in (a password or users)', async () => {
    const policy = { rules: [], default: 'allow', login: true };
    const { status, body } = await httpRoute({ policy });
    expect(status).toBe(422);
    expect(fieldsOf(body)).toContain('auth_enabled');
  });

  it('a shared policy: policy null, GateControl writes 409, switching back needs the route’s own policy', async () => {
    const { status, body } = await httpRoute({ policy_id: office });
    expect(status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({ policy_id: office, policy: null, policy_expressible: false, acl_enabled: false });
    const conflict = await call('PUT', `/api/v1/routes/${body.id}`, { acl_enabled: true, acl_peers: [staff] });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.message).toContain(`shared policy ${office}`);
    const detach = await call('PUT', `/api/v1/routes/${body.id}`, { policy_id: null });
    expect(detach.status).toBe(422);
    expect(fieldsOf(detach.body)).toEqual(['policy']);
    const own = await call('PUT', `/api/v1/routes/${body.id}`, { policy: { rules: [], default: 'deny' } });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({
      policy_id: null,
      policy: { rules: [], default: 'deny' },
      policy_expressible: false,
    });
  });

  it.each([
    [
      'GateControl fields mixed with policy',
      { policy: { rules: [], default: 'allow' }, acl_enabled: true },
      ['acl_enabled'],
    ],
    ['GateControl fields mixed with policy_id', { policy_id: 1, rate_limit_enabled: true }, ['rate_limit_enabled']],
    ['policy and policy_id both set', { policy_id: 1, policy: { rules: [], default: 'allow' } }, ['policy']],
    ['a shared policy that does not exist', { policy_id: 999 }, ['policy_id']],
    [
      'an unknown peer in a condition',
      { policy: { rules: [{ action: 'allow', conditions: [{ type: 'peer', values: ['999'] }] }], default: 'deny' } },
      ['policy.rules.0.conditions.0.values.0'],
    ],
    [
      'a CIDR that is not one',
      {
        policy: {
          rules: [{ action: 'deny', conditions: [{ type: 'cidr', values: ['10.0.0.0/33'] }] }],
          default: 'allow',
        },
      },
      ['policy.rules.0.conditions.0.values.0'],
    ],
    [
      'a time zone that does not exist',
      {
        policy: {
          rules: [
            {
              action: 'deny',
              conditions: [{ type: 'time', days: ['mon'], from: '08:00', to: '18:00', tz: 'Mars/Olympus' }],
            },
          ],
          default: 'allow',
        },
      },
      ['policy.rules.0.conditions.0.tz'],
    ],
    ['a null policy without a shared one', { policy: null }, ['policy']],
    [
      'a hostile value list',
      {
        policy: {
          rules: [{ action: 'deny', conditions: [{ type: 'ip', values: ['x'.repeat(300)] }] }],
          default: 'allow',
        },
      },
      ['policy.rules.0.conditions.0.values.0'],
    ],
  ])('refuses %s with 422 naming the field, writing nothing', async (_label, extra, fields) => {
    const before = (await env.db.select().from(routes)).length;
    const { status, body } = await httpRoute(extra);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(fieldsOf(body)).toEqual(expect.arrayContaining(fields));
    expect((await env.db.select().from(routes)).length).toBe(before);
  });

  it('L4 routes refuse HTTP-only conditions and logins, in the field the request used', async () => {
    const l4 = (extra: Body) =>
      call('POST', '/api/v1/routes', {
        type: 'l4',
        l4_listen_port: 4000 + n++,
        target_host: '10.0.0.1',
        target_port: 22,
        ...extra,
      });
    const method = await l4({
      policy: { rules: [{ action: 'allow', conditions: [{ type: 'method', values: ['GET'] }] }], default: 'deny' },
    });
    expect(method.status).toBe(422);
    expect(fieldsOf(method.body)).toEqual(['policy.rules.0.conditions.0.type']);
    expect(fieldsOf((await l4({ auth_enabled: true })).body)).toEqual(['auth_enabled']);
    expect(fieldsOf((await l4({ policy_id: httpOnly })).body)).toEqual(['policy_id']);
    const ok = await l4({ policy_id: office });
    expect(ok.status).toBe(201);
  });

  it('a shared policy in use cannot be deleted (no cascade)', async () => {
    const error = await env.db
      .delete(policies)
      .where(eq(policies.id, office))
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(String((error?.cause as Error | undefined)?.message ?? error)).toMatch(/FOREIGN KEY/);
    expect(await env.db.select().from(policies).where(eq(policies.id, office))).toHaveLength(1);
  });

  it('a removed peer leaves route and shared policies, deciding as before', async () => {
    const both = {
      rules: [
        { action: 'allow' as const, conditions: [{ type: 'peer' as const, values: [String(staff), String(guest)] }] },
      ],
      default: 'deny' as const,
    };
    const only = {
      rules: [
        { action: 'deny' as const, conditions: [{ type: 'peer' as const, values: [String(guest)] }] },
        { action: 'deny' as const, conditions: [{ type: 'peer' as const, not: true, values: [String(guest)] }] },
      ],
      default: 'allow' as const,
    };
    const a = (await httpRoute({ policy: both })).body;
    const b = (await httpRoute({ policy: only })).body;
    const [shared] = await env.db
      .insert(policies)
      .values({ name: 'guests', policy: both, createdAt: new Date(), updatedAt: new Date() })
      .returning();
    const ctx = systemContext(env);
    const changed = await env.db.transaction((tx) => removePeersFromAcls({ ctx, tx, peerIds: [guest] }));
    // Three here, and the earlier tests' routes that name the guest too.
    expect(changed).toBeGreaterThanOrEqual(3);
    expect((await call('GET', `/api/v1/routes/${a.id}`)).body.policy.rules[0].conditions[0].values).toEqual([
      String(staff),
    ]);
    // `peer [guest]` matched nobody any more: its rule goes; `not peer [guest]` always held: the condition goes.
    expect((await call('GET', `/api/v1/routes/${b.id}`)).body.policy.rules).toEqual([
      { action: 'deny', conditions: [] },
    ]);
    const [after] = await env.db.select().from(policies).where(eq(policies.id, shared!.id));
    expect(after!.policy.rules[0]!.conditions[0]).toMatchObject({ values: [String(staff)] });
  });
});
