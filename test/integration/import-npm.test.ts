// Importing from Nginx Proxy Manager through the configuration file's plan and apply: its API listings and
// its database tables. Real: the Hono app, the importer, plan/apply, a libSQL temp-file database. Fixtures are
// written here from NPM's documented shapes (proxy host: domain_names, forward_scheme/host/port,
// access_list_id; stream: incoming_port, forwarding_host/port, tcp/udp_forwarding; access list: clients
// {address, directive}, items {username}).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../helpers/env.ts';

type TestApp = Awaited<ReturnType<typeof testApp>>;
let app: TestApp;
let admin: string;

beforeAll(async () => {
  app = await testApp();
  admin = await app.tokenFor('admin');
});
afterAll(() => app?.cleanup());

const post = async (body: unknown) => {
  const res = await app.call('POST', '/api/v1/config/import', { token: admin, body });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

const apiListing = {
  proxy_hosts: [
    {
      id: 1,
      domain_names: ['nas.example.com', 'files.example.com'],
      forward_scheme: 'https',
      forward_host: '192.168.1.10',
      forward_port: 5001,
      access_list_id: 3,
      certificate_id: 7,
      ssl_forced: true,
      caching_enabled: false,
      block_exploits: true,
      advanced_config: 'client_max_body_size 0;',
      locations: [],
      enabled: true,
    },
  ],
  streams: [
    {
      id: 2,
      incoming_port: 2222,
      forwarding_host: '192.168.1.11',
      forwarding_port: 22,
      tcp_forwarding: true,
      udp_forwarding: false,
      enabled: true,
    },
    {
      id: 4,
      incoming_port: 5353,
      forwarding_host: '192.168.1.1',
      forwarding_port: 53,
      tcp_forwarding: true,
      udp_forwarding: true,
      enabled: true,
    },
  ],
  access_lists: [
    {
      id: 3,
      name: 'LAN only',
      satisfy_any: true,
      pass_auth: false,
      items: [{ username: 'guest', password: '' }],
      clients: [
        { address: '192.168.1.0/24', directive: 'allow' },
        { address: '10.0.0.9', directive: 'deny' },
        { address: 'all', directive: 'deny' },
      ],
    },
  ],
  redirection_hosts: [{ id: 9 }],
};

describe('import from Nginx Proxy Manager', () => {
  it('API listings: proxy hosts per domain, streams per protocol, access lists as policies; the rest listed', async () => {
    const content = JSON.stringify(apiListing);
    const plan = await post({ source: 'npm', content });
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    expect(plan.body.entries.map((e: any) => `${e.action} ${e.kind} ${e.name}`)).toEqual([
      'create policy LAN only',
      'create route files.example.com',
      'create route nas.example.com',
      'create route stream-2222',
      'create route stream-5353-tcp',
      'create route stream-5353-udp',
    ]);
    const unmapped = plan.body.unmapped as string[];
    for (const expected of [
      /access list "LAN only": 1 basic auth user\(s\) not imported.*satisfy any/,
      /proxy host 1 .*advanced nginx config/,
      /proxy host 1 .*block common exploits/,
      /proxy host 1 .*certificate is not imported/,
      /^redirection_hosts: 1 not imported/,
    ])
      expect(
        unmapped.some((u) => expected.test(u)),
        `${expected} in ${JSON.stringify(unmapped)}`,
      ).toBe(true);

    const applied = await post({ source: 'npm', content, apply: true });
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    expect((await post({ source: 'npm', content })).body.entries).toEqual([]);
    const policies = (await (await app.call('GET', '/api/v1/policies', { token: admin })).json()) as { data: any[] };
    const lan = policies.data.find((p) => p.name === 'LAN only');
    const detail = (await (await app.call('GET', `/api/v1/policies/${lan.id}`, { token: admin })).json()) as any;
    expect(detail.policy).toEqual({
      rules: [
        { action: 'allow', conditions: [{ type: 'cidr', values: ['192.168.1.0/24'] }] },
        { action: 'deny', conditions: [{ type: 'ip', values: ['10.0.0.9'] }] },
      ],
      default: 'deny',
    });
    const routes = (await (await app.call('GET', '/api/v1/routes', { token: admin })).json()) as { data: any[] };
    expect(routes.data.find((r) => r.name === 'nas.example.com')).toMatchObject({
      backend_https: true,
      target_host: '192.168.1.10',
      target_port: 5001,
      policy_id: lan.id,
    });
    expect(routes.data.find((r) => r.name === 'stream-5353-udp')).toMatchObject({
      l4_protocol: 'udp',
      l4_listen_port: '5353',
    });
  });

  it('database tables: JSON text columns, deleted rows skipped', async () => {
    const content = JSON.stringify({
      proxy_host: [
        {
          id: 5,
          domain_names: '["grafana.example.com"]',
          forward_scheme: 'http',
          forward_host: '192.168.1.20',
          forward_port: 3000,
          access_list_id: 0,
          enabled: 1,
          is_deleted: 0,
          locations: '[]',
        },
        {
          id: 6,
          domain_names: '["old.example.com"]',
          forward_scheme: 'http',
          forward_host: '192.168.1.21',
          forward_port: 80,
          access_list_id: 0,
          enabled: 1,
          is_deleted: 1,
        },
      ],
      stream: [],
      access_list: [],
      access_list_client: [],
    });
    const plan = await post({ source: 'npm', content });
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    expect(plan.body.entries.map((e: any) => `${e.action} ${e.kind} ${e.name}`)).toEqual([
      'create route grafana.example.com',
    ]);
  });

  it('refuses what is not an NPM export', async () => {
    for (const content of ['[]', '{"hello":1}', '{"proxy_hosts":"x"}']) {
      const r = await post({ source: 'npm', content, apply: true });
      expect(r.status).toBe(422);
    }
  });
});
