import { inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../db/index.ts';
import { isUniqueViolation } from '../../db/retry.ts';
import { peers } from '../../db/schema/index.ts';
import { ConflictError, type FieldIssue, ValidationError } from '../../errors.ts';
import { l4PolicyIssues, type Policy } from '../../policy/schema.ts';
import { type PolicyUser, routeNames } from './usage.ts';

/**
 * What a shared policy must satisfy beyond its schema: the peers it names exist, and routes that use it can
 * carry it (an L4 route cannot ask for a login or match on a path or method). Paths start at `policy`, as
 * the API's body has it.
 */
export async function assertPolicyFits(db: DbOrTx, policy: Policy, users: PolicyUser[]): Promise<void> {
  const issues = [...(await unknownPeerIssues(db, policy)), ...l4Issues(policy, users)];
  if (issues.length > 0) throw new ValidationError(issues);
}

async function unknownPeerIssues(db: DbOrTx, policy: Policy): Promise<FieldIssue[]> {
  const named = new Set<string>();
  for (const rule of policy.rules)
    for (const c of rule.conditions) if (c.type === 'peer') for (const v of c.values) named.add(v);
  if (named.size === 0) return [];
  const ids = [...named].map(Number).filter(Number.isSafeInteger);
  const known = new Set<string>();
  // SQLite caps bound parameters; ask in slices.
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db
      .select({ id: peers.id })
      .from(peers)
      .where(inArray(peers.id, ids.slice(i, i + 500)));
    for (const r of rows) known.add(String(r.id));
  }
  const issues: FieldIssue[] = [];
  for (const [i, rule] of policy.rules.entries())
    for (const [j, c] of rule.conditions.entries()) {
      if (c.type !== 'peer') continue;
      for (const [k, v] of c.values.entries())
        if (!known.has(v))
          issues.push({ field: `policy.rules.${i}.conditions.${j}.values.${k}`, message: `peer ${v} does not exist` });
    }
  return issues.slice(0, 100);
}

function l4Issues(policy: Policy, users: PolicyUser[]): FieldIssue[] {
  const l4 = users.filter((u) => u.type === 'l4');
  if (l4.length === 0) return [];
  return l4PolicyIssues(policy).map((issue) => ({
    field: `policy.${issue.path}`,
    message: `${issue.message}, and ${routeNames(l4)} ${l4.length === 1 ? 'is an L4 route' : 'are L4 routes'} using this policy`,
  }));
}

/** A UNIQUE violation on the name → 409 naming the field; anything else is rethrown. */
export function nameTaken(err: unknown, name: string | undefined): never {
  if (isUniqueViolation(err, 'policies.name'))
    throw new ConflictError(`a policy named "${name}" already exists`, { field: 'name' });
  throw err;
}
