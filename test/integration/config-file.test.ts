// Real: the Hono app (app.request), the config-file services, validation and two libSQL temp-file databases
// (a source server and a fresh one). Simulated: no Caddy and no WireGuard (pushes are `pending`); the live data
// plane is covered by the backup test's snapshot hash and by routes-live.test.ts. Identity providers are rows
// written directly (saving one through the service asks a live provider; route-oidc-login.test.ts does that).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretBoxFor } from '../../src/auth/secret-box.ts';
import { identityProviders } from '../../src/db/schema/index.ts';
import { testApp } from '../helpers/env.ts';
import { ID_OFFSETS } from '../helpers/id-offsets.ts';

type TestApp = Awaited<ReturnType<typeof testApp>>;
let source: TestApp;
let fresh: TestApp;
let sourceAdmin: string;
let freshAdmin: string;
/** "Corp IdP" on each server: the fresh one made a decoy first, so the same name has another id there. */
let sourceCorpId: number;
let freshCorpId: number;
let freshDecoyId: number;
/** The source's second gateway ("office"), a pool member of the route "media". */
let sourceOfficeId: number;

/** An identity provider as the service stores one (the file never carries providers: they hold a secret). */
async function addProvider(app: TestApp, name: string, forRoutes: boolean): Promise<number> {
  const now = new Date();
  const [row] = await app.db
    .insert(identityProviders)
    .values({
      name,
      issuer: 'https://idp.example.test',
      clientId: 'gatehouse',
      clientSecret: secretBoxFor(app.config).seal('a client secret'),
      forDashboard: false,
      forRoutes,
      createdAt: now,
      updatedAt: now,
    })
    .returning({ id: identityProviders.id });
  return row!.id;
}

async function json(app: TestApp, method: string, url: string, token: string, body?: unknown) {
  const res = await app.call(method, url, { token, body });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, body: parsed };
}
async function ok(app: TestApp, method: string, url: string, token: string, body?: unknown) {
  const r = await json(app, method, url, token, body);
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
const exportFrom = async (app: TestApp, token: string, format = 'yaml', secrets = true) => {
  const res = await app.call('GET', `/api/v1/config/export?format=${format}&with_secrets=${secrets}`, { token });
  expect(res.status).toBe(200);
  return res.text();
};
const apply = (app: TestApp, token: string, content: string, extra: Record<string, unknown> = {}) =>
  json(app, 'POST', '/api/v1/config/apply', token, { content, filename: 'gatehouse.yaml', ...extra });

beforeAll(async () => {
  source = await testApp();
  fresh = await testApp();
  sourceAdmin = await source.tokenFor('admin');
  freshAdmin = await fresh.tokenFor('admin');
  // The fresh server's gateway ids start one later, so its "home" gets the id of the source's "office": a pool
  // member carried by id would bind to the wrong gateway there.
  await fresh.client.execute({
    sql: "update sqlite_sequence set seq = ? where name = 'gateways'",
    args: [ID_OFFSETS.gateways! + 1],
  });
  // A configuration with every kind of thing and every kind of reference.
  const alice = await ok(source, 'POST', '/api/v1/peers', sourceAdmin, { name: 'alice', tags: ['staff'] });
  const gwPeer = await ok(source, 'POST', '/api/v1/peers', sourceAdmin, { name: 'home-gw', is_gateway: true });
  const gateway = await ok(source, 'POST', '/api/v1/gateways', sourceAdmin, {
    name: 'home',
    peer_id: gwPeer.id,
    lan_networks: ['192.168.2.0/24'],
  });
  const office = await ok(source, 'POST', '/api/v1/gateways', sourceAdmin, {
    name: 'office',
    lan_networks: ['192.168.3.0/24'],
  });
  sourceOfficeId = office.id;
  await ok(source, 'POST', '/api/v1/routes', sourceAdmin, {
    name: 'media',
    domain: 'media.example.com',
    target_kind: 'gateway',
    gateway_id: gateway.id,
    target_lan_host: '192.168.2.20',
    target_lan_port: 8096,
    pool: {
      mode: 'balance',
      balance: 'client_hash',
      members: [{ gateway_id: office.id, target_lan_host: '192.168.3.20', target_lan_port: 8096 }],
      check_interval_seconds: 10,
    },
  });
  const staff = await ok(source, 'POST', '/api/v1/policies', sourceAdmin, {
    name: 'staff',
    description: 'alice and the office',
    policy: {
      rules: [
        { action: 'allow', name: 'alice', conditions: [{ type: 'peer', values: [String(alice.id)] }] },
        { action: 'allow', login: true, conditions: [{ type: 'country', values: ['de'] }] },
      ],
      default: 'deny',
      rate_limit: { requests: 50, window: '1m' },
    },
  });
  await ok(source, 'POST', '/api/v1/routes', sourceAdmin, {
    name: 'wiki',
    domain: 'wiki.example.com',
    target_kind: 'direct',
    target_host: '10.0.0.5',
    target_port: 8080,
    policy_id: staff.id,
    auth_password: 'a password for the login',
  });
  const nas = await ok(source, 'POST', '/api/v1/routes', sourceAdmin, {
    name: 'nas',
    domain: 'nas.example.com',
    target_kind: 'gateway',
    gateway_id: gateway.id,
    target_lan_host: '192.168.2.10',
    target_lan_port: 5000,
    policy: {
      rules: [{ action: 'deny', conditions: [{ type: 'peer', not: true, values: [String(alice.id)] }] }],
      default: 'allow',
      login: true,
    },
    auth_password: 'another password here',
  });
  await ok(source, 'POST', `/api/v1/routes/${nas.id}/auth-users`, sourceAdmin, {
    username: 'bob',
    password: 'bobs password 123',
  });
  await ok(source, 'POST', '/api/v1/routes', sourceAdmin, {
    type: 'l4',
    name: 'ssh',
    l4_listen_port: '2222',
    target_kind: 'peer',
    peer_id: alice.id,
    target_port: 22,
  });
  sourceCorpId = await addProvider(source, 'Corp IdP', true);
  freshDecoyId = await addProvider(fresh, 'Decoy IdP', true);
  freshCorpId = await addProvider(fresh, 'Corp IdP', true);
  await addProvider(fresh, 'Dashboard IdP', false);
  await ok(source, 'POST', '/api/v1/routes', sourceAdmin, {
    name: 'portal',
    domain: 'portal.example.com',
    target_kind: 'direct',
    target_host: '10.0.0.7',
    target_port: 443,
    auth_method: 'oidc',
    auth_provider_id: sourceCorpId,
    auth_sso_domain: 'example.com',
  });
  await ok(source, 'PATCH', '/api/v1/settings', sourceAdmin, { api_docs_public: true });
});
afterAll(() => {
  source?.cleanup();
  fresh?.cleanup();
});

describe('export → apply on a fresh server → export', () => {
  it('gives an identical file (YAML and JSON), and a second apply plans nothing', async () => {
    const first = await exportFrom(source, sourceAdmin);
    expect(first).toContain('version: 1');
    expect(first).toContain('policy: staff');
    expect(first).toContain('gateway: home');
    expect(first).toContain('auth_provider: Corp IdP');
    expect(first).not.toContain('auth_provider_id');
    expect(first).toMatch(/pool:\n\s+mode: balance\n\s+balance: client_hash\n\s+members:\n\s+- gateway: office\n/);
    expect(first).not.toContain('gateway_id');
    const applied = await apply(fresh, freshAdmin, first);
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    expect(applied.body.applied).toBe(true);
    expect(applied.body.gateway_tokens.map((t: { name: string }) => t.name)).toEqual(['home', 'office']);
    expect(applied.body.text).toContain('+ route "wiki"');
    expect(applied.body.text).not.toContain('$argon2id');

    expect(await exportFrom(fresh, freshAdmin)).toBe(first);
    expect(await exportFrom(fresh, freshAdmin, 'json')).toBe(await exportFrom(source, sourceAdmin, 'json'));
    expect(await exportFrom(fresh, freshAdmin, 'yaml', false)).toBe(
      await exportFrom(source, sourceAdmin, 'yaml', false),
    );

    const again = await apply(fresh, freshAdmin, first);
    expect(again.body.entries).toEqual([]);
    expect(again.body.applied).toBe(false);
    expect(again.body.text).toContain('No changes');
  });

  it('binds an oidc route to the provider of the same name on another server (its own id there)', async () => {
    expect(freshCorpId).not.toBe(sourceCorpId);
    expect(freshDecoyId).toBe(sourceCorpId);
    const routes = await ok(fresh, 'GET', '/api/v1/routes?q=portal', freshAdmin);
    const portal = routes.data.find((r: { name: string }) => r.name === 'portal');
    expect(portal).toMatchObject({
      auth_method: 'oidc',
      auth_provider_id: freshCorpId,
      auth_sso_domain: 'example.com',
    });
    // Provider names are unique ignoring case (as the provider service keeps them): the stored name is canonical.
    const lower = (await exportFrom(fresh, freshAdmin)).replace('auth_provider: Corp IdP', 'auth_provider: corp idp');
    const plan = await json(fresh, 'POST', '/api/v1/config/plan', freshAdmin, { content: lower });
    expect(plan.body.entries).toEqual([]);
  });

  it('binds a pool member to the gateway of the same name on another server (its own id there)', async () => {
    const gateways = (await ok(fresh, 'GET', '/api/v1/gateways', freshAdmin)).data as { id: number; name: string }[];
    const idOf = (name: string) => gateways.find((g) => g.name === name)!.id;
    expect(idOf('home')).toBe(sourceOfficeId);
    expect(idOf('office')).not.toBe(sourceOfficeId);
    const routes = await ok(fresh, 'GET', '/api/v1/routes?q=media', freshAdmin);
    const media = routes.data.find((r: { name: string }) => r.name === 'media');
    expect(media).toMatchObject({
      gateway_id: idOf('home'),
      pool: {
        mode: 'balance',
        balance: 'client_hash',
        members: [{ gateway_id: idOf('office'), target_lan_host: '192.168.3.20', target_lan_port: 8096 }],
        healthy_after: 2,
        check_interval_seconds: 10,
      },
    });
    // A member moved to another gateway is a plan entry naming both gateways, not ids.
    const text = await exportFrom(fresh, freshAdmin);
    const moved = text.replace('target_lan_host: 192.168.3.20', 'target_lan_host: 192.168.3.21');
    expect(moved).not.toBe(text);
    const plan = await json(fresh, 'POST', '/api/v1/config/plan', freshAdmin, { content: moved });
    expect(plan.body.entries).toEqual([
      {
        action: 'change',
        kind: 'route',
        name: 'media',
        changes: [
          {
            field: 'pool',
            old: expect.objectContaining({
              members: [expect.objectContaining({ gateway: 'office', target_lan_host: '192.168.3.20' })],
            }),
            new: expect.objectContaining({
              members: [expect.objectContaining({ gateway: 'office', target_lan_host: '192.168.3.21' })],
            }),
          },
        ],
      },
    ]);
  });

  it('plans field changes with old and new values, applies nothing on plan, deletes only with prune', async () => {
    const text = await exportFrom(fresh, freshAdmin);
    const edited = text.replace('target_port: 8080', 'target_port: 8081');
    const plan = await json(fresh, 'POST', '/api/v1/config/plan', freshAdmin, { content: edited });
    expect(plan.body.entries).toEqual([
      { action: 'change', kind: 'route', name: 'wiki', changes: [{ field: 'target_port', old: 8080, new: 8081 }] },
    ]);
    expect(plan.body.text).toContain('target_port: 8080 -> 8081');
    expect(await exportFrom(fresh, freshAdmin)).toBe(text);

    const withoutSsh = `version: 1\nroutes: []\n`;
    const noPrune = await json(fresh, 'POST', '/api/v1/config/plan', freshAdmin, { content: withoutSsh });
    expect(noPrune.body.entries).toEqual([]);
    const pruned = await json(fresh, 'POST', '/api/v1/config/plan', freshAdmin, { content: withoutSsh, prune: true });
    expect(pruned.body.entries.map((e: any) => `${e.action} ${e.kind} ${e.name}`)).toEqual([
      'delete route media',
      'delete route nas',
      'delete route portal',
      'delete route ssh',
      'delete route wiki',
      'delete gateway home',
      'delete gateway office',
      'delete policy staff',
      'delete peer alice',
      'delete peer home-gw',
    ]);
  });

  it('applies a hand-written file that references by name', async () => {
    const file = [
      'version: 1',
      'peers:',
      '  - name: carol',
      '    tags: [staff]',
      'routes:',
      '  - name: grafana',
      '    type: http',
      '    domain: Grafana.Example.com',
      '    target_kind: peer',
      '    peer: carol',
      '    target_port: 3000',
      '    policy:',
      '      default: deny',
      '      rules:',
      '        - action: allow',
      '          conditions: [{ type: peer, values: [carol, alice] }]',
      '',
    ].join('\n');
    const r = await apply(fresh, freshAdmin, file);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.applied).toBe(true);
    const second = await apply(fresh, freshAdmin, file);
    expect(second.body.entries).toEqual([]);
    const out = await exportFrom(fresh, freshAdmin);
    expect(out).toContain('domain: grafana.example.com');
    expect(out).toMatch(/values:\n\s+- carol\n\s+- alice/);
  });
});

describe('hostile and wrong files change nothing and say where', () => {
  const state = () => exportFrom(fresh, freshAdmin);
  const expectRefused = async (content: string, field: RegExp, message: RegExp) => {
    const was = await state();
    const r = await apply(fresh, freshAdmin, content);
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    const fields = r.body.error.fields as { field: string; message: string }[];
    expect(
      fields.some((f) => field.test(f.field) && message.test(f.message)),
      JSON.stringify(fields),
    ).toBe(true);
    expect(await state()).toBe(was);
  };

  it('names the file, the line and the field', async () => {
    await expectRefused(
      'version: 1\nroutes:\n  - name: x\n    type: http\n    domain: x.example.com\n    target_kind: direct\n    target_host: 10.0.0.9\n    target_port: 99999\n',
      /^routes\.0\.target_port$/,
      /^gatehouse\.yaml:8: routes\.0\.target_port: must be 1–65535/,
    );
  });
  it('refuses unknown versions, duplicate names and missing references', async () => {
    await expectRefused('version: 2\n', /^version$/, /gatehouse\.yaml:1: version: 2 is not a version/);
    await expectRefused('routes: []\n', /^version$/, /is missing/);
    await expectRefused(
      'version: 1\npeers:\n  - name: dup\n  - name: dup\n',
      /^peers\.1\.name$/,
      /gatehouse\.yaml:4: .*also the name of peers\.0/,
    );
    await expectRefused(
      'version: 1\nroutes:\n  - name: y\n    type: http\n    domain: y.example.com\n    target_kind: peer\n    peer: nobody\n    target_port: 80\n',
      /^routes\.0\.peer$/,
      /:7: .*no peer named "nobody"/,
    );
    await expectRefused(
      'version: 1\npolicies:\n  - name: p\n    policy: { default: deny, rules: [{ action: allow, conditions: [{ type: peer, values: [ghost] }] }] }\n',
      /^policies\.0\.policy\.rules\.0\.conditions\.0\.values\.0$/,
      /no peer named "ghost"/,
    );
  });
  it('refuses an auth_provider that names no provider for routes, or is too long or not a name', async () => {
    const route = (provider: string) =>
      `version: 1\nroutes:\n  - name: sso\n    type: http\n    domain: sso.example.com\n    target_kind: direct\n    target_host: 10.0.0.8\n    target_port: 80\n    auth_method: oidc\n    auth_provider: ${provider}\n`;
    await expectRefused(
      route('Nobody IdP'),
      /^routes\.0\.auth_provider$/,
      /^gatehouse\.yaml:10: routes\.0\.auth_provider: no identity provider named "Nobody IdP".*create it .*first/,
    );
    await expectRefused(
      route('Dashboard IdP'),
      /^routes\.0\.auth_provider$/,
      /:10: .*"Dashboard IdP" is not offered to routes.*for_routes/,
    );
    await expectRefused(route('x'.repeat(10_000)), /^routes\.0\.auth_provider$/, /:10: .*at most 64/);
    await expectRefused(route(String(freshCorpId)), /^routes\.0\.auth_provider$/, /:10: /);
    await expectRefused(route('[Corp IdP]'), /^routes\.0\.auth_provider$/, /:10: /);
    await expectRefused(route('{ id: 1 }'), /^routes\.0\.auth_provider$/, /:10: /);
    await expectRefused(
      route('Corp IdP').replace('auth_method: oidc', 'auth_method: password'),
      /^routes\.0\.auth_provider$/,
      /is only for auth_method oidc/,
    );
    // The id is this server's own: a file naming it is refused, not bound to whichever provider has that id.
    await expectRefused(
      route('Corp IdP').replace('auth_provider: Corp IdP', `auth_provider_id: ${freshCorpId}`),
      /^routes\.0$/,
      /:3: routes\.0: Unrecognized key: "auth_provider_id"/,
    );
  });
  it('refuses a pool member that names no gateway, a name too long, a member twice and wrong types', async () => {
    const pooled = (members: string, pool = `    pool:\n      members:\n${members}`) =>
      [
        'version: 1',
        'routes:',
        '  - name: pooled',
        '    type: http',
        '    domain: pooled.example.com',
        '    target_kind: gateway',
        '    gateway: home',
        '    target_lan_host: 192.168.2.30',
        '    target_lan_port: 80',
        pool,
        '',
      ].join('\n');
    const member = (gateway: string, host = '192.168.3.30') =>
      `        - gateway: ${gateway}\n          target_lan_host: ${host}\n          target_lan_port: 80\n`;
    // The well-formed file applies (checked last, once every refusal has changed nothing).
    const good = pooled(member('office'));
    await expectRefused(
      pooled(member('x')),
      /^routes\.0\.pool\.members\.0\.gateway$/,
      /^gatehouse\.yaml:12: routes\.0\.pool\.members\.0\.gateway: no gateway named "x"/,
    );
    await expectRefused(
      pooled(member('office') + member('ghost')),
      /^routes\.0\.pool\.members\.1\.gateway$/,
      /^gatehouse\.yaml:15: routes\.0\.pool\.members\.1\.gateway: no gateway named "ghost"/,
    );
    await expectRefused(
      pooled(member('x'.repeat(10_000))),
      /^routes\.0\.pool\.members\.0\.gateway$/,
      /:12: .*at most 64/,
    );
    await expectRefused(
      pooled(member('home')),
      /^routes\.0\.pool\.members\.0\.gateway$/,
      /:12: routes\.0\.pool\.members\.0\.gateway: gateway "home" is in the pool twice: it is also the route's own gateway/,
    );
    await expectRefused(
      pooled(member('office') + member('office', '192.168.3.31')),
      /^routes\.0\.pool\.members\.1\.gateway$/,
      /:15: .*gateway "office" is in the pool twice: it is also pool\.members\.0/,
    );
    // Checked by the route service at apply (office's lan_networks), reported at the file's line and field.
    await expectRefused(
      pooled(member('office', '10.9.9.9')),
      /^routes\.0\.pool\.members\.0\.target_lan_host$/,
      /:13: routes\.0\.pool\.members\.0\.target_lan_host: .*lan_networks/,
    );
    await expectRefused(pooled(member('2003')), /^routes\.0\.pool\.members\.0\.gateway$/, /:12: /);
    await expectRefused(pooled(member('[office]')), /^routes\.0\.pool\.members\.0\.gateway$/, /:12: /);
    await expectRefused(
      pooled(member('office').replace('gateway: office', `gateway_id: ${sourceOfficeId}`)),
      /^routes\.0\.pool\.members\.0$/,
      /:12: .*Unrecognized key: "gateway_id"/,
    );
    await expectRefused(pooled('', '    pool: office'), /^routes\.0\.pool$/, /:10: /);
    await expectRefused(pooled('', '    pool:\n      members: office'), /^routes\.0\.pool\.members$/, /:11: /);
    await expectRefused(
      pooled(member('office').replace('target_lan_port: 80', 'target_lan_port: "80"')),
      /^routes\.0\.pool\.members\.0\.target_lan_port$/,
      /:14: /,
    );
    await expectRefused(
      pooled(Array.from({ length: 8 }, () => member('office')).join('')),
      /^routes\.0\.pool\.members$/,
      /at most 7 members/,
    );

    const r = await apply(fresh, freshAdmin, good);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const routes = await ok(fresh, 'GET', '/api/v1/routes?q=pooled', freshAdmin);
    const gateways = (await ok(fresh, 'GET', '/api/v1/gateways', freshAdmin)).data as { id: number; name: string }[];
    expect(routes.data.find((x: { name: string }) => x.name === 'pooled').pool).toEqual({
      mode: 'failover',
      balance: 'round_robin',
      members: [
        {
          gateway_id: gateways.find((g) => g.name === 'office')!.id,
          target_lan_host: '192.168.3.30',
          target_lan_port: 80,
        },
      ],
      healthy_after: 2,
      check_interval_seconds: 5,
    });
    expect((await apply(fresh, freshAdmin, good)).body.entries).toEqual([]);
    await ok(
      fresh,
      'DELETE',
      `/api/v1/routes/${routes.data.find((x: { name: string }) => x.name === 'pooled').id}`,
      freshAdmin,
    );
  });
  it('refuses YAML bombs, huge files, duplicate keys and broken syntax', async () => {
    const bomb = [
      'version: 1',
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...Array.from(
        { length: 12 },
        (_, i) =>
          `${'bcdefghijklm'[i]}: &${'bcdefghijklm'[i]} [${Array(9)
            .fill(`*${i === 0 ? 'a' : 'bcdefghijklm'[i - 1]}`)
            .join(',')}]`,
      ),
    ].join('\n');
    await expectRefused(bomb, /^file$/, /alias/i);
    const huge = `version: 1\n# ${'x'.repeat(9 * 1024 * 1024)}\n`;
    const r = await apply(fresh, freshAdmin, huge);
    expect([413, 422]).toContain(r.status);
    await expectRefused('version: 1\nversion: 1\n', /^file$/, /:2: .*unique/i);
    await expectRefused('version: 1\nroutes: [\n', /^file$/, /gatehouse\.yaml:\d+:/);
  });
  it('refuses a policy that does not fit its route, rolling back the peers created before it', async () => {
    await expectRefused(
      'version: 1\npeers:\n  - name: dave\nroutes:\n  - name: tcp\n    type: l4\n    l4_listen_port: "2300"\n    target_kind: direct\n    target_host: 10.0.0.3\n    target_port: 22\n    policy: { default: allow, login: true }\n',
      /^routes\.0\.policy/,
      /only possible on HTTP routes/,
    );
  });
});
