// Real: the snapshot compiler and the static-config builder (pure functions). Simulated: database rows are
// built by a factory here. Compiled snapshots are compared with caddy-module/snapshot/testdata/, the fixtures the
// Go decoder's tests read too (so the contract is tested from both sides); the static config with
// test/unit/golden/. Regenerate with UPDATE_GOLDEN=1, review the diff and run the Go tests.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CompileInput, compileSnapshot, contentHash } from '../../src/caddy/snapshot.ts';
import { staticCaddyConfig } from '../../src/caddy/static-config.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { Route } from '../../src/db/schema/routes.ts';
import { GATECONTROL_OFF, policyFromGateControl } from '../../src/policy/gatecontrol.ts';
import type { Policy } from '../../src/policy/schema.ts';
import { routeRow } from '../helpers/factories.ts';

const HERE = path.dirname(new URL(import.meta.url).pathname);
const GOLDEN = path.join(HERE, 'golden');
const SNAPSHOT_FIXTURES = path.join(HERE, '..', '..', 'caddy-module', 'snapshot', 'testdata');

function golden(name: string, value: unknown, dir = GOLDEN) {
  const file = path.join(dir, `${name}.json`);
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN || !existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, text);
  }
  expect(text).toBe(readFileSync(file, 'utf8'));
}

/** A compiled snapshot is a fixture of the Go decoder's tests as well. */
const snapshotFixture = (name: string, snapshot: unknown) => golden(name, snapshot, SNAPSHOT_FIXTURES);

let nextId = 1;
function route(fields: Partial<Route>): Route {
  return routeRow({ id: nextId++, name: 'r', ...fields });
}

const peers: CompileInput['peers'] = [
  { id: 1, name: 'ann-laptop', address: '10.8.0.2', enabled: true, tags: ['admins'] },
  { id: 2, name: 'old-phone', address: '10.8.0.3', enabled: false, tags: ['admins'] },
  { id: 3, address: '10.8.0.4', enabled: true, tags: [] },
  { id: 4, name: 'ops-box', address: '10.8.0.5', enabled: true, tags: ['ops', 'admins'] },
];
const gateways: CompileInput['gateways'] = [
  { id: 7, tunnelIp: '10.8.0.10' },
  { id: 8, tunnelIp: undefined },
];
const compile = (routes: Route[]) => compileSnapshot({ version: 42, routes, peers, gateways });

describe('compileSnapshot', () => {
  it('HTTP direct route with headers, extra upstreams, load balancing, health checks and an HTTPS backend', () => {
    snapshotFixture(
      'http-direct-full',
      compile([
        route({
          domain: 'app.example.com',
          targetHost: '10.0.0.5',
          targetPort: 8443,
          backendHttps: true,
          customHeaders: [
            { name: 'X-Env', value: '{env.HOME} stays literal', direction: 'request' },
            { name: 'Strict-Transport-Security', value: 'max-age=63072000', direction: 'response' },
          ],
          upstreams: [{ host: '10.0.0.6', port: 8443 }],
          lbPolicy: 'least_conn',
          healthCheck: { path: '/healthz', interval_seconds: 10, timeout_seconds: 2, expect_status: 200 },
        }),
      ]),
    );
  });

  it('HTTP routes to a peer and through a gateway, with every access-control check', () => {
    snapshotFixture(
      'http-peer-gateway-policies',
      compile([
        route({
          domain: 'nas.example.com',
          targetKind: 'peer',
          peerId: 3,
          targetPort: 5000,
          policy: policyFromGateControl({
            ...GATECONTROL_OFF,
            acl_enabled: true,
            acl_peers: [1, 2, 'tag:ops'],
            ip_filter_enabled: true,
            ip_filter_mode: 'blacklist',
            ip_filter_rules: [
              { type: 'ip', value: '203.0.113.50' },
              { type: 'cidr', value: '198.51.100.0/24' },
              { type: 'country', value: 'CN' },
            ],
            rate_limit_enabled: true,
            rate_limit_requests: 60,
            rate_limit_window: '1m',
          }),
        }),
        route({
          domain: 'home.example.com',
          targetKind: 'gateway',
          gatewayId: 7,
          targetLanHost: '192.168.1.20',
          targetLanPort: 8123,
          gatewayPort: 40000,
        }),
      ]),
    );
  });

  it('L4 routes: TCP, a UDP range mapped with offset, passthrough, terminate with PROXY v2, and a gateway range', () => {
    snapshotFixture(
      'l4-shapes',
      compile([
        route({
          type: 'l4',
          l4Protocol: 'tcp',
          l4ListenPortStart: 2222,
          l4ListenPortEnd: 2222,
          l4TlsMode: 'none',
          targetHost: '10.0.0.7',
          targetPort: 22,
        }),
        route({
          type: 'l4',
          l4Protocol: 'udp',
          l4ListenPortStart: 27015,
          l4ListenPortEnd: 27017,
          l4TlsMode: 'none',
          targetHost: '10.0.0.8',
          targetPort: 28015,
        }),
        route({
          type: 'l4',
          l4Protocol: 'tcp',
          l4ListenPortStart: 443,
          l4ListenPortEnd: 443,
          l4TlsMode: 'passthrough',
          domain: 'vault.example.com',
          targetHost: '10.0.0.9',
          targetPort: 8443,
        }),
        route({
          type: 'l4',
          l4Protocol: 'tcp',
          l4ListenPortStart: 993,
          l4ListenPortEnd: 993,
          l4TlsMode: 'terminate',
          domain: 'imap.example.com',
          proxyProtocol: 'v2',
          targetHost: '10.0.0.10',
          targetPort: 143,
        }),
        route({
          type: 'l4',
          l4Protocol: 'tcp',
          l4ListenPortStart: 3389,
          l4ListenPortEnd: 3390,
          l4TlsMode: 'none',
          targetKind: 'gateway',
          gatewayId: 7,
          targetLanHost: '192.168.2.100',
          targetLanPort: 3389,
        }),
      ]),
    );
  });

  it('fails closed: disabled routes, disabled peers and gateways without a tunnel address are left out', () => {
    const snapshot = compile([
      route({ domain: 'off.example.com', enabled: false, targetHost: '10.0.0.1', targetPort: 80 }),
      route({ domain: 'peer-off.example.com', targetKind: 'peer', peerId: 2, targetPort: 80 }),
      route({
        domain: 'gw-down.example.com',
        targetKind: 'gateway',
        gatewayId: 8,
        targetLanHost: '192.168.0.2',
        targetLanPort: 80,
        gatewayPort: 40001,
      }),
      route({
        domain: 'gw-missing.example.com',
        targetKind: 'gateway',
        gatewayId: 99,
        targetLanHost: '192.168.0.2',
        targetLanPort: 80,
        gatewayPort: 40002,
      }),
      route({ domain: 'on.example.com', targetHost: '10.0.0.1', targetPort: 80 }),
    ]);
    expect(snapshot.routes.map((r) => r.http?.hosts[0])).toEqual(['on.example.com']);
  });

  it('an ACL whose peers are all disabled or deleted allows nobody (not everybody)', () => {
    const snapshot = compile([
      route({
        domain: 'x.example.com',
        targetHost: '10.0.0.1',
        targetPort: 80,
        policy: policyFromGateControl({ ...GATECONTROL_OFF, acl_enabled: true, acl_peers: [2, 404] }),
      }),
    ]);
    expect(snapshot.routes[0]!.policy.rules).toEqual([
      {
        action: 'deny',
        name: 'peer ACL',
        conditions: [{ type: 'peer', not: true, values: ['2', '404'], addresses: [] }],
      },
    ]);
  });

  it('ordered rules: peer tags resolved to enabled peers, a country after a login, a time window, a shared policy', () => {
    const staffOrGermany: Policy = {
      rules: [
        { action: 'allow', name: 'staff over the VPN', conditions: [{ type: 'peer_tag', values: ['admins'] }] },
        {
          action: 'allow',
          name: 'Germany, after a login',
          login: true,
          conditions: [{ type: 'country', values: ['DE'] }],
        },
        {
          action: 'deny',
          conditions: [
            {
              type: 'time',
              not: true,
              days: ['mon', 'tue', 'wed', 'thu', 'fri'],
              from: '08:00',
              to: '18:00',
              tz: 'Europe/Berlin',
            },
          ],
        },
      ],
      default: 'deny',
      rate_limit: { requests: 100, window: '1m' },
    };
    const snapshot = compileSnapshot({
      version: 42,
      peers,
      gateways,
      authEndpoint: '127.0.0.1:3000',
      policies: [
        {
          id: 9,
          name: 'office',
          policy: { rules: [{ action: 'allow', conditions: [{ type: 'peer', values: ['3', '2'] }] }], default: 'deny' },
        },
      ],
      routes: [
        route({ domain: 'staff.example.com', targetHost: '10.0.0.1', targetPort: 80, policy: staffOrGermany }),
        route({
          type: 'l4',
          l4Protocol: 'tcp',
          l4ListenPortStart: 2200,
          l4ListenPortEnd: 2200,
          l4TlsMode: 'none',
          targetHost: '10.0.0.2',
          targetPort: 22,
          policyId: 9,
          policy: null,
        }),
        // A shared policy that is gone: the route stays out (fails closed).
        route({ domain: 'gone.example.com', targetHost: '10.0.0.1', targetPort: 80, policyId: 10, policy: null }),
      ],
    });
    snapshotFixture('policies-rules-shared', snapshot);
    const [http, l4] = snapshot.routes;
    expect(http!.policy.rules[0]!.conditions[0]).toMatchObject({ addresses: ['10.8.0.2', '10.8.0.5'] });
    expect(http!.http!.handle.map((h) => h.handler)).toEqual([
      'gatehouse_identity',
      'headers',
      'subroute',
      'reverse_proxy',
    ]);
    // The enabled, named peers, once for the whole snapshot (identity-headers.ts).
    expect(snapshot.peers).toEqual([
      { address: '10.8.0.2', name: 'ann-laptop', tags: ['admins'] },
      { address: '10.8.0.5', name: 'ops-box', tags: ['admins', 'ops'] },
    ]);
    expect(l4!.policy).toMatchObject({ name: 'office', rules: [{ conditions: [{ addresses: ['10.8.0.4'] }] }] });
    expect(snapshot.routes).toHaveLength(2);
  });

  it('hashes content, not the version', () => {
    const routes = [route({ domain: 'h.example.com', targetHost: '10.0.0.1', targetPort: 80 })];
    const a = compileSnapshot({ version: 1, routes, peers, gateways });
    const b = compileSnapshot({ version: 2, routes, peers, gateways });
    expect(contentHash(a)).toBe(contentHash(b));
    expect(contentHash(a)).not.toBe(
      contentHash(compile([route({ domain: 'h.example.com', targetHost: '10.0.0.2', targetPort: 80 })])),
    );
  });

  it('a wildcard HTTP route carries the names under it that may get a certificate', () => {
    snapshotFixture(
      'http-wildcard-tls-names',
      compile([
        route({
          domain: '*.apps.example.com',
          targetHost: '10.0.0.5',
          targetPort: 8080,
          tlsNames: ['wiki.apps.example.com', 'git.apps.example.com'],
        }),
        route({ domain: '*.other.example.com', targetHost: '10.0.0.6', targetPort: 8080 }),
      ]),
    );
  });
});

describe('staticCaddyConfig', () => {
  it('puts the admin API on a 0600 unix socket, the dashboard behind the public domain, and routes in the module', () => {
    const config = loadConfig({
      GATEHOUSE_DATA_DIR: '/var/lib/gatehouse',
      GATEHOUSE_PUBLIC_DOMAIN: 'gate.example.com',
      GATEHOUSE_ACME_EMAIL: 'ops@example.com',
    });
    golden(
      'static-config-public-domain',
      staticCaddyConfig({
        caddy: config.caddy,
        listen: config.listen,
        publicDomain: config.publicDomain,
        l4ListenHost: '',
        geoipDb: '/srv/geo.mmdb',
        proxySecret: 'per-install-secret',
      }),
    );
  });
});
