import { IDENTITY_CONDITIONS, type Policy, type PolicyRule } from './schema.ts';

/** Who a route session belongs to, as far as the policy's identity conditions ask (docs/architecture.md). */
export interface SessionIdentity {
  email: string | null;
  groups: string[];
}

function holds(c: PolicyRule['conditions'][number], who: SessionIdentity): boolean {
  if (!('values' in c)) return true;
  const email = who.email?.toLowerCase() ?? null;
  let match = false;
  if (c.type === 'email') match = email !== null && c.values.includes(email);
  else if (c.type === 'email_domain')
    match = email !== null && c.values.includes(email.slice(email.lastIndexOf('@') + 1));
  else if (c.type === 'group') match = who.groups.some((g) => c.values.includes(g));
  else return true; // not an identity condition: the data plane decided it
  return c.not ? !match : match;
}

/**
 * The control plane's half of a decision (the data plane's is caddy-module/policy): whether the identity
 * conditions of the rule that decided hold for who logged in. `ruleIndex` null (the default decided) or a
 * rule without identity conditions: nothing to check. An identity without an email or groups matches no
 * value (so `not group x` holds for it, as an unknown country does in the data plane).
 */
export function identityAllows(policy: Policy, ruleIndex: number | null, who: SessionIdentity): boolean {
  if (ruleIndex === null) return true;
  const rule = policy.rules[ruleIndex];
  if (!rule) return false; // the data plane decided on a policy this is not: fail closed
  return rule.conditions.filter((c) => IDENTITY_CONDITIONS.includes(c.type)).every((c) => holds(c, who));
}

/** Whether any rule of the policy names an identity (the verify endpoint then asks which rule decided). */
export function policyChecksIdentity(policy: Policy): boolean {
  return policy.rules.some((r) => r.conditions.some((c) => IDENTITY_CONDITIONS.includes(c.type)));
}
