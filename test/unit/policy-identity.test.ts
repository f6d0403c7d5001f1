import { describe, expect, it } from 'vitest';
import { resolvePolicy } from '../../src/caddy/snapshot.ts';
import { identityAllows, policyChecksIdentity } from '../../src/policy/identity.ts';
import { type Policy, PolicySchema } from '../../src/policy/schema.ts';

const STAFF: Policy = PolicySchema.parse({
  rules: [
    { action: 'deny', conditions: [{ type: 'country', values: ['KP'] }] },
    {
      action: 'allow',
      login: true,
      conditions: [
        { type: 'email_domain', values: ['@Example.COM'] },
        { type: 'group', values: ['staff'] },
      ],
    },
    { action: 'allow', login: true, conditions: [{ type: 'email', values: ['Guest@Other.org'] }] },
  ],
  default: 'deny',
});

const issues = (value: unknown) => {
  const r = PolicySchema.safeParse(value);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('identity conditions (email, email_domain, group)', () => {
  it('normalise: lower-case emails and domains, a leading @ dropped, group names kept as they are', () => {
    expect(STAFF.rules[1]!.conditions[0]).toEqual({ type: 'email_domain', values: ['example.com'] });
    expect(STAFF.rules[2]!.conditions[0]).toEqual({ type: 'email', values: ['guest@other.org'] });
    expect(policyChecksIdentity(STAFF)).toBe(true);
  });

  it('refuses hostile values, deny rules with them and rules without the login, naming the field', () => {
    const rule = (conditions: unknown[], extra: object = {}) => ({
      rules: [{ action: 'allow', login: true, conditions, ...extra }],
      default: 'deny',
    });
    expect(issues(rule([{ type: 'email', values: ['no-at-sign'] }]))).toEqual([
      'rules.0.conditions.0.values.0: "no-at-sign" is not an email address',
    ]);
    expect(issues(rule([{ type: 'email', values: ['a@b\nc.com'] }]))[0]).toMatch(/not an email/);
    expect(issues(rule([{ type: 'email_domain', values: ['exa mple.com'] }]))[0]).toMatch(/not a domain/);
    expect(issues(rule([{ type: 'email_domain', values: ['-x.com'] }]))[0]).toMatch(/not a domain/);
    expect(issues(rule([{ type: 'group', values: ['a\u0000b'] }]))[0]).toMatch(/control characters/);
    expect(issues(rule([{ type: 'group', values: ['x'.repeat(254)] }]))[0]).toMatch(/values\.0/);
    expect(issues(rule([{ type: 'group', values: [] }]))[0]).toMatch(/at least one value/);
    expect(issues(rule([{ type: 'group', values: ['staff'] }], { action: 'deny', login: undefined }))).toEqual([
      'rules.0.action: email, email_domain and group conditions are only possible on allow rules (checked after the login)',
    ]);
    expect(issues(rule([{ type: 'group', values: ['staff'] }], { login: undefined }))).toEqual([
      'rules.0.login: a rule with email, email_domain or group conditions needs the login (login: true)',
    ]);
    // The policy's own login covers every rule.
    expect(issues({ ...rule([{ type: 'group', values: ['staff'] }], { login: undefined }), login: true })).toEqual([]);
  });

  it('are compiled out of the snapshot: the rule keeps its index and asks for the login', () => {
    const compiled = resolvePolicy({ ...STAFF, login: undefined } as Policy, []);
    expect(compiled.rules.map((r) => r.conditions.map((c) => c.type))).toEqual([['country'], [], []]);
    expect(compiled.rules.map((r) => r.login ?? false)).toEqual([false, true, true]);
    expect(JSON.stringify(compiled)).not.toMatch(/email|group/);
  });

  it('are checked against the rule that decided, after the login', () => {
    const ann = { email: 'ann@example.com', groups: ['staff'] };
    expect(identityAllows(STAFF, 1, ann)).toBe(true);
    expect(identityAllows(STAFF, 1, { ...ann, groups: ['interns'] })).toBe(false);
    expect(identityAllows(STAFF, 1, { email: 'ann@example.com.evil.org', groups: ['staff'] })).toBe(false);
    expect(identityAllows(STAFF, 2, { email: 'GUEST@other.org', groups: [] })).toBe(true);
    expect(identityAllows(STAFF, 2, { email: null, groups: [] })).toBe(false);
    // The default or a rule without identity conditions decided: nothing to check here.
    expect(identityAllows(STAFF, null, { email: null, groups: [] })).toBe(true);
    expect(identityAllows(STAFF, 0, { email: null, groups: [] })).toBe(true);
    // A rule index the policy does not have (an older snapshot): closed.
    expect(identityAllows(STAFF, 7, ann)).toBe(false);
    const notInterns = PolicySchema.parse({
      rules: [{ action: 'allow', login: true, conditions: [{ type: 'group', not: true, values: ['interns'] }] }],
      default: 'deny',
    });
    expect(identityAllows(notInterns, 0, { email: null, groups: [] })).toBe(true);
    expect(identityAllows(notInterns, 0, { email: null, groups: ['interns'] })).toBe(false);
  });
});
