import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from 'drizzle-orm/libsql/migrator';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, MIGRATIONS_DIR, migrateDb } from '../../src/db/index.ts';
import { gateControlView, policyFromGateControl } from '../../src/policy/gatecontrol.ts';
import type { Policy } from '../../src/policy/schema.ts';
import { type OldAccess, oldChainDecider, policyDecider, type World } from '../helpers/access-reference.ts';

/**
 * Issue 15: every route's old access columns (peer ACL, IP filter, rate limit, auth) become an inline policy in
 * migration route_policies. Random old routes are written at the migration before it, the real migrations run,
 * and then random clients at random times are decided by the old chain (on the old fields) and by the ordered
 * rules (on the migrated policy): the two must agree on every request, rate limit included.
 */

const MIGRATION = 'route_policies';

// Addresses the generators draw from, so that rules and clients meet: peers' tunnel addresses, a LAN, IPv6,
// and IPv4-mapped spellings that must count as IPv4.
const PEERS = [
  { id: 1, address: '10.8.0.2' },
  { id: 2, address: '10.8.0.3' },
  { id: 3, address: '10.8.0.4' },
  { id: 4, address: 'fd00:8::5' },
];
const CLIENTS = [
  ...PEERS.map((p) => p.address),
  '::ffff:10.8.0.3',
  '192.0.2.1',
  '192.0.2.77',
  '198.51.100.9',
  '2001:db8::1',
  '2001:db8::2:1',
  '2001:db8:1::1',
  '::ffff:192.0.2.1',
];
const COUNTRIES: Record<string, string> = {
  '192.0.2.1': 'DE',
  '192.0.2.77': 'FR',
  '2001:db8::1': 'DE',
  '2001:db8:1::1': 'US',
  '10.8.0.2': 'DE',
};
const TAGS = ['staff', 'ops', 'guests'];

const worldArb: fc.Arbitrary<World> = fc
  .tuple(...PEERS.map(() => fc.record({ enabled: fc.boolean(), tags: fc.subarray(TAGS) })))
  .map((states) => ({
    peers: PEERS.map((p, i) => ({ ...p, ...states[i]! })),
    countries: COUNTRIES,
  }));

// As the old API stored them: ip any spelling isIP accepted, cidr with or without host bits, countries upper case.
const filterRuleArb = fc.oneof(
  fc.record({ type: fc.constant('ip' as const), value: fc.constantFrom(...CLIENTS, '2001:DB8::1', '10.8.0.9') }),
  fc.record({
    type: fc.constant('cidr' as const),
    value: fc.constantFrom(
      '10.8.0.0/24',
      '10.8.0.3/32',
      '192.0.2.0/25',
      '192.0.2.64/26',
      '2001:db8::/64',
      '2001:db8::/32',
      '0.0.0.0/0',
      '::/0',
      '10.8.0.5/30',
    ),
  }),
  fc.record({ type: fc.constant('country' as const), value: fc.constantFrom('DE', 'FR', 'US', 'NL') }),
);

const oldAccessArb: fc.Arbitrary<OldAccess> = fc.record({
  acl_enabled: fc.boolean(),
  acl_peers: fc.array(fc.oneof(fc.constantFrom(1, 2, 3, 4), fc.constantFrom(...TAGS.map((t) => `tag:${t}`))), {
    maxLength: 4,
  }),
  ip_filter_enabled: fc.boolean(),
  ip_filter_mode: fc.constantFrom('whitelist' as const, 'blacklist' as const),
  ip_filter_rules: fc.array(filterRuleArb, { maxLength: 6 }),
  rate_limit_enabled: fc.boolean(),
  rate_limit_requests: fc.integer({ min: 1, max: 4 }),
  rate_limit_window: fc.constantFrom('1s' as const, '1m' as const),
  auth_enabled: fc.boolean(),
});

// Requests: a client and the milliseconds since the previous request (bursts and pauses around the windows).
const requestsArb = fc.array(
  fc.record({ client: fc.constantFrom(...CLIENTS), gapMs: fc.constantFrom(0, 10, 400, 999, 1_000, 30_000, 61_000) }),
  { minLength: 1, maxLength: 25 },
);

let dir: string;
let template: string;

/** A libSQL file migrated up to the migration before route_policies (the schema old routes lived in). */
async function migrateBefore(file: string) {
  const partial = join(dir, 'partial-migrations');
  mkdirSync(join(partial, 'meta'), { recursive: true });
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8'));
  const at = journal.entries.findIndex((e: { tag: string }) => e.tag.endsWith(MIGRATION));
  expect(at, `migration *_${MIGRATION} exists`).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, at);
  writeFileSync(join(partial, 'meta/_journal.json'), JSON.stringify(journal));
  for (const e of journal.entries) copyFileSync(join(MIGRATIONS_DIR, `${e.tag}.sql`), join(partial, `${e.tag}.sql`));
  const handle = createDb({ url: `file:${file}` });
  await handle.client.execute('PRAGMA foreign_keys = ON');
  await migrate(handle.db, { migrationsFolder: partial });
  handle.close();
}

async function migrateOldRoutes(accesses: OldAccess[]): Promise<Policy[]> {
  const file = join(dir, `run-${Math.random().toString(36).slice(2)}.db`);
  copyFileSync(template, file);
  const handle = createDb({ url: `file:${file}` });
  try {
    for (const [i, a] of accesses.entries()) {
      await handle.client.execute({
        sql: `INSERT INTO routes (type, name, target_kind, target_host, target_port, custom_headers, upstreams,
                acl_enabled, acl_peers, ip_filter_enabled, ip_filter_mode, ip_filter_rules, rate_limit_enabled,
                rate_limit_requests, rate_limit_window, auth_enabled, created_at, updated_at)
              VALUES ('http', ?, 'direct', '127.0.0.1', 8080, '[]', '[]', ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)`,
        args: [
          `r${i}`,
          a.acl_enabled ? 1 : 0,
          JSON.stringify(a.acl_peers),
          a.ip_filter_enabled ? 1 : 0,
          a.ip_filter_mode,
          JSON.stringify(a.ip_filter_rules),
          a.rate_limit_enabled ? 1 : 0,
          a.rate_limit_requests,
          a.rate_limit_window,
          a.auth_enabled ? 1 : 0,
        ],
      });
    }
    await migrateDb(handle);
    const rows = await handle.client.execute('SELECT policy, policy_id FROM routes ORDER BY id');
    expect(rows.columns).not.toContain('acl_enabled');
    return rows.rows.map((r) => {
      expect(r.policy_id).toBeNull();
      return JSON.parse(String(r.policy)) as Policy;
    });
  } finally {
    handle.close();
    rmSync(file, { force: true });
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-policy-migration-'));
  template = join(dir, 'template.db');
  await migrateBefore(template);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('migration route_policies', () => {
  it('builds each route the inline policy policyFromGateControl builds, shown back as the same GateControl fields', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(oldAccessArb, { minLength: 1, maxLength: 6 }), async (accesses) => {
        const migrated = await migrateOldRoutes(accesses);
        accesses.forEach((a, i) => {
          expect(migrated[i]).toEqual(policyFromGateControl(a));
          expect(gateControlView(migrated[i]!)).toBeDefined();
        });
      }),
      { numRuns: 40 },
    );
  });

  it('old chain and migrated policy decide every request alike (addresses × times × peer states)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(oldAccessArb, { minLength: 1, maxLength: 4 }),
        worldArb,
        requestsArb,
        async (accesses, world, requests) => {
          const migrated = await migrateOldRoutes(accesses);
          accesses.forEach((access, i) => {
            const oldDecide = oldChainDecider(access, world);
            const newDecide = policyDecider(migrated[i]!, world);
            let at = Date.UTC(2026, 10, 30, 12, 0, 0);
            for (const { client, gapMs } of requests) {
              at += gapMs;
              expect(newDecide(client, at), `${client} at ${new Date(at).toISOString()}`).toEqual(
                oldDecide(client, at),
              );
            }
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});
