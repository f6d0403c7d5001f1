// Importing GateControl's backup JSON through the configuration file's plan and apply.
// Real: the Hono app, the importer, plan/apply, a libSQL temp-file database. The fixture is written here from
// GateControl's documented backup format (src/services/backup.js there: `{ version, created_at, data: { peers,
// routes, route_auth, … } }`, rows with their columns, peers referenced by name); argon2id hashes are made here.
import { hash } from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../helpers/env.ts';

type TestApp = Awaited<ReturnType<typeof testApp>>;
let app: TestApp;
let admin: string;

const generatedKey = (n: number) => Buffer.alloc(32, n).toString('base64');

async function fixture() {
  return {
    version: 5,
    created_at: '2026-11-01T10:00:00.000Z',
    data: {
      peer_groups: [{ name: 'office', color: '#fff', description: null }],
      peers: [
        {
          name: 'alice',
          public_key: generatedKey(1),
          private_key_encrypted: 'gc-encrypted-blob',
          preshared_key_encrypted: null,
          allowed_ips: '10.8.0.2/32',
          dns: '1.1.1.1, 9.9.9.9',
          persistent_keepalive: 25,
          enabled: 1,
          tags: 'Staff,laptops',
          description: 'Alice laptop',
          group_name: null,
          expires_at: null,
        },
        { name: 'nas-box', public_key: generatedKey(2), allowed_ips: '10.8.0.3/32', enabled: 1, tags: '' },
      ],
      routes: [
        {
          domain: 'wiki.example.com',
          target_ip: '10.8.0.3',
          target_port: 8080,
          peer_name: 'nas-box',
          route_type: 'http',
          enabled: 1,
          backend_https: 0,
          https_enabled: 1,
          acl_enabled: 1,
          acl_peer_names: ['alice'],
          ip_filter_enabled: 1,
          ip_filter_mode: 'whitelist',
          ip_filter_rules: JSON.stringify([
            { type: 'cidr', value: '192.168.1.0/24' },
            { type: 'country', value: 'de' },
          ]),
          rate_limit_enabled: 1,
          rate_limit_requests: 100,
          rate_limit_window: '1m',
          branding_title: 'Our wiki',
        },
        {
          domain: null,
          target_ip: '192.168.1.20',
          target_port: 22,
          route_type: 'l4',
          l4_protocol: 'tcp',
          l4_listen_port: '2222',
          l4_tls_mode: 'none',
          enabled: 1,
          ip_filter_enabled: 1,
          ip_filter_mode: 'blacklist',
          ip_filter_rules: JSON.stringify([{ type: 'ip', value: '203.0.113.9' }]),
          l4_conn_limit: 20,
          l4_conn_window_s: 60,
        },
        {
          domain: 'files.example.com',
          target_ip: '10.0.0.8',
          target_port: 80,
          route_type: 'http',
          enabled: 1,
        },
      ],
      route_auth: [
        {
          route_domain: 'files.example.com',
          auth_type: 'email_password',
          email: 'bob@example.com',
          password_hash: await hash('bobs password 123'),
          two_factor_enabled: 1,
          two_factor_method: 'email',
        },
      ],
      settings: [{ key: 'smtp_host', value: 'mail' }],
      webhooks: [{ url: 'https://hooks.example.com/x', events: '*', enabled: 1 }],
      users: [{ username: 'admin', password_hash: 'x' }],
    },
  };
}

beforeAll(async () => {
  app = await testApp();
  admin = await app.tokenFor('admin');
});
afterAll(() => app?.cleanup());

const post = async (body: unknown) => {
  const res = await app.call('POST', '/api/v1/config/import', { token: admin, body });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

describe('import a GateControl backup', () => {
  it('plans, applies, maps access to policies and lists everything it cannot map', async () => {
    const content = JSON.stringify(await fixture());
    const plan = await post({ source: 'gatecontrol', content });
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    expect(plan.body.applied).toBe(false);
    expect(plan.body.entries.map((e: any) => `${e.action} ${e.kind} ${e.name}`)).toEqual([
      'create peer alice',
      'create peer nas-box',
      'create route files.example.com',
      'create route tcp-2222',
      'create route wiki.example.com',
    ]);
    const unmapped = plan.body.unmapped as string[];
    for (const expected of [
      /peer "alice": its private key is encrypted/,
      /peer "alice": descriptions are not kept/,
      /route "wiki.example.com": branding_title/,
      /route "tcp-2222": the L4 connection limit/,
      /route "files.example.com": two-factor login \(email\)/,
      /^peer_groups: 1 entry not imported/,
      /^webhooks: 1 entry/,
      /^users: 1 entry not imported \(admin accounts/,
      /^settings: 1 entry/,
    ])
      expect(
        unmapped.some((u) => expected.test(u)),
        `${expected} in ${JSON.stringify(unmapped)}`,
      ).toBe(true);
    expect(plan.body.text).toContain('Not imported (');

    const applied = await post({ source: 'gatecontrol', content, apply: true });
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    expect(applied.body.applied).toBe(true);
    const again = await post({ source: 'gatecontrol', content });
    expect(again.body.entries).toEqual([]);

    const routes = (await (await app.call('GET', '/api/v1/routes', { token: admin })).json()) as { data: any[] };
    const byName = new Map(routes.data.map((r) => [r.name, r]));
    const wiki = byName.get('wiki.example.com');
    expect(wiki).toMatchObject({
      target_kind: 'peer',
      target_port: 8080,
      acl_enabled: true,
      ip_filter_enabled: true,
      ip_filter_mode: 'whitelist',
      ip_filter_rules: [
        { type: 'cidr', value: '192.168.1.0/24' },
        { type: 'country', value: 'DE' },
      ],
      rate_limit_enabled: true,
      rate_limit_requests: 100,
      policy_expressible: true,
    });
    expect(byName.get('tcp-2222')).toMatchObject({ type: 'l4', l4_listen_port: '2222', ip_filter_mode: 'blacklist' });
    expect(byName.get('files.example.com')).toMatchObject({ auth_enabled: true, auth_password_set: false });
    const users = await app.call('GET', `/api/v1/routes/${byName.get('files.example.com').id}/auth-users`, {
      token: admin,
    });
    expect(JSON.stringify(await users.json())).toContain('bob@example.com');
  });

  it('refuses what is not a GateControl backup, an unknown version and bad sections, changing nothing', async () => {
    for (const [content, message] of [
      ['not json', /not JSON/],
      [JSON.stringify({ version: 99, data: {} }), /version 99 is not one this importer reads/],
      [JSON.stringify({ hello: 1 }), /not a GateControl backup/],
      [JSON.stringify({ version: 5, data: { peers: 'x' } }), /peers must be a list/],
    ] as const) {
      const r = await post({ source: 'gatecontrol', content, apply: true });
      expect(r.status).toBe(422);
      expect(r.body.error.message).toMatch(message);
    }
  });
});
