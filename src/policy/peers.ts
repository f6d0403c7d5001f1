import type { Policy, PolicyRule } from './schema.ts';

/** The peer ids a policy's `peer` conditions name (to check they exist). */
export function peerIdsOf(policy: Policy): number[] {
  const ids = policy.rules.flatMap((r) => r.conditions.flatMap((c) => (c.type === 'peer' ? c.values.map(Number) : [])));
  return [...new Set(ids)];
}

/**
 * The policy without the given peers (docs/architecture.md "Access control": a peer that is disabled, expires or
 * is deleted leaves every policy, and enabling it again does not put it back). It decides exactly as the
 * compiled policy already did, where those peers resolved to no address: a `peer` condition left without
 * values matches nobody, so its rule goes; a negated one always holds, so the condition goes. Undefined when
 * the policy names none of them.
 */
export function withoutPeers(policy: Policy, peerIds: readonly number[]): Policy | undefined {
  const gone = new Set(peerIds.map(String));
  let changed = false;
  const rules: PolicyRule[] = [];
  for (const rule of policy.rules) {
    let dead = false;
    const conditions = rule.conditions.flatMap((c) => {
      if (c.type !== 'peer' || !c.values.some((v) => gone.has(v))) return [c];
      changed = true;
      const values = c.values.filter((v) => !gone.has(v));
      if (values.length > 0) return [{ ...c, values }];
      if (!c.not) dead = true;
      return [];
    });
    if (!dead) rules.push({ ...rule, conditions });
  }
  return changed ? { ...policy, rules } : undefined;
}
