import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeAddress, normalizePrefix } from '../../src/policy/addresses.ts';
import { GATECONTROL_OFF, gateControlView, policyFromGateControl } from '../../src/policy/gatecontrol.ts';
import { PolicySchema } from '../../src/policy/schema.ts';

/** The policy schema's normalisers: one spelling per value, the way the data plane (Go netip, path.Clean) reads it. */
describe('policy values', () => {
  it('spells addresses and prefixes one way', () => {
    expect(normalizeAddress('2001:DB8:0:0::1')).toBe('2001:db8::1');
    expect(normalizeAddress('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(normalizeAddress(' 10.0.0.1 ')).toBe('10.0.0.1');
    expect(normalizePrefix('10.1.2.3/8')).toBe('10.0.0.0/8');
    expect(normalizePrefix('::ffff:10.0.0.0/104')).toBe('10.0.0.0/8');
    expect(normalizePrefix('2001:db8::1/32')).toBe('2001:db8::/32');
    for (const bad of ['1.2.3', '10.0.0.0/33', '::/129', '10.0.0.0/-1', '10.0.0.0/8/8', 'example.com', '']) {
      expect(normalizePrefix(bad) ?? normalizeAddress(bad)).toBeUndefined();
    }
  });

  it('normalises every value type and names each bad one by its path', () => {
    const parsed = PolicySchema.parse({
      default: 'deny',
      rules: [
        {
          action: 'allow',
          conditions: [
            { type: 'country', values: ['de', 'DE'] },
            { type: 'asn', values: ['AS3320', '3320', 'as13335'] },
            { type: 'path_prefix', values: ['/a//b/./c/../d/', '/api'] },
            { type: 'method', values: ['get'] },
            { type: 'time', days: ['fri', 'mon', 'fri'], from: '22:00', to: '06:00', tz: 'Europe/Berlin' },
          ],
        },
      ],
    });
    expect(parsed.rules[0]?.conditions).toEqual([
      { type: 'country', values: ['DE'] },
      { type: 'asn', values: ['3320', '13335'] },
      { type: 'path_prefix', values: ['/a/b/d/', '/api'] },
      { type: 'method', values: ['GET'] },
      { type: 'time', days: ['mon', 'fri'], from: '22:00', to: '06:00', tz: 'Europe/Berlin' },
    ]);

    const hostile = PolicySchema.safeParse({
      default: 'maybe',
      rules: [
        { action: 'deny', login: true },
        {
          action: 'allow',
          conditions: [
            { type: 'asn', values: ['AS0', '4294967296', '1e3'] },
            { type: 'path_prefix', values: ['api', '/a?b', '/a\u0000b'] },
            { type: 'time', days: ['someday'], from: '25:00', to: '08:00', tz: 'Mars/Olympus' },
            { type: 'ip', values: ['10.0.0.1'], extra: 1 },
            { type: 'cidr', values: [] },
            { type: 'country', values: ['x'.repeat(254)] },
          ],
        },
      ],
    });
    expect(hostile.success).toBe(false);
    const paths = hostile.error?.issues.map((i) => i.path.join('.')) ?? [];
    for (const p of [
      'default',
      'rules.0.login',
      'rules.1.conditions.0.values.0',
      'rules.1.conditions.0.values.1',
      'rules.1.conditions.0.values.2',
      'rules.1.conditions.1.values.0',
      'rules.1.conditions.1.values.1',
      'rules.1.conditions.1.values.2',
      'rules.1.conditions.2.days.0',
      'rules.1.conditions.2.from',
      'rules.1.conditions.2.tz',
      'rules.1.conditions.3',
      'rules.1.conditions.4.values',
      'rules.1.conditions.5.values.0',
    ]) {
      expect(paths).toContain(p);
    }
  });
});

/** The GateControl view is exact: every setting of the fields maps to a policy that maps back to the same fields. */
describe('GateControl view', () => {
  const tag = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,8}$/);
  const fields = fc.record({
    acl_enabled: fc.boolean(),
    acl_peers: fc.uniqueArray(
      fc.oneof(
        fc.integer({ min: 1, max: 50 }),
        tag.map((t) => `tag:${t}`),
      ),
      { maxLength: 5 },
    ),
    ip_filter_enabled: fc.boolean(),
    ip_filter_mode: fc.constantFrom('whitelist' as const, 'blacklist' as const),
    ip_filter_rules: fc.uniqueArray(
      fc.oneof(
        fc.ipV4().map((value) => ({ type: 'ip' as const, value })),
        fc.constantFrom('DE', 'FR', 'US').map((value) => ({ type: 'country' as const, value })),
        fc.integer({ min: 0, max: 255 }).map((n) => ({ type: 'cidr' as const, value: `10.${n}.0.0/16` })),
      ),
      { maxLength: 6, selector: (r) => `${r.type}:${r.value}` },
    ),
    rate_limit_enabled: fc.boolean(),
    rate_limit_requests: fc.integer({ min: 1, max: 100_000 }),
    rate_limit_window: fc.constantFrom('1s' as const, '1m' as const, '5m' as const, '1h' as const),
    auth_enabled: fc.boolean(),
  });

  it('round-trips what the fields can say', () => {
    fc.assert(
      fc.property(fields, (gc) => {
        const view = gateControlView(policyFromGateControl(gc));
        expect(view).toBeDefined();
        expect(policyFromGateControl(view!)).toEqual(policyFromGateControl(gc));
      }),
      { numRuns: 300 },
    );
  });

  it('has no view for rules the fields cannot say, and shows an open policy as all off', () => {
    expect(gateControlView({ rules: [{ action: 'allow', conditions: [] }], default: 'deny' })).toBeUndefined();
    expect(
      gateControlView({
        rules: [{ action: 'deny', name: 'peer ACL', conditions: [{ type: 'asn', values: ['3320'] }] }],
        default: 'allow',
      }),
    ).toBeUndefined();
    expect(gateControlView({ rules: [], default: 'allow' })).toEqual(GATECONTROL_OFF);
  });
});
