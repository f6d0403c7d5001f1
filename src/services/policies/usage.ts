import { asc, count, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../db/index.ts';
import { routes } from '../../db/schema/index.ts';

/** Which routes use a shared policy. The one place that reads `routes.policy_id` for the policies resource. */
const routePolicyId = routes.policyId;

export interface PolicyUser {
  id: number;
  name: string;
  type: 'http' | 'l4';
}

/** The routes that use policy `id`, by id. */
export async function routesUsingPolicy(db: DbOrTx, id: number): Promise<PolicyUser[]> {
  return db
    .select({ id: routes.id, name: routes.name, type: routes.type })
    .from(routes)
    .where(eq(routePolicyId, id))
    .orderBy(asc(routes.id));
}

/** How many routes use each of `ids` (ids no route uses are absent). */
export async function usageCounts(db: DbOrTx, ids: number[]): Promise<Map<number, number>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: routePolicyId, n: count() })
    .from(routes)
    .where(inArray(routePolicyId, ids))
    .groupBy(routePolicyId);
  return new Map(rows.map((r) => [Number(r.id), r.n]));
}

/** "route 3001 (web), route 3002 (ssh)": how errors name the routes. */
export function routeNames(users: PolicyUser[], max = 10): string {
  const shown = users.slice(0, max).map((r) => `route ${r.id} (${r.name})`);
  return users.length > max ? `${shown.join(', ')} and ${users.length - max} more` : shown.join(', ');
}
