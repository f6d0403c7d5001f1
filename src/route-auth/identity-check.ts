import { eq } from 'drizzle-orm';
import type { ConfigHooks } from '../context.ts';
import type { Db } from '../db/index.ts';
import { routes } from '../db/schema/index.ts';
import type { RouteSessionIdentity } from '../db/schema/route-auth-sessions.ts';
import { identityAllows, policyChecksIdentity } from '../policy/identity.ts';
import { effectivePolicy } from '../services/routes/access.ts';

export type IdentityVerdict = 'allow' | 'deny' | 'unavailable';

/**
 * The control plane's half of the route's decision (docs/architecture.md "Access control", who logged in):
 * when the route's policy names identities, the data plane says which rule decided for this request (explain:
 * the same client IP, method, path and time, no counting) and that rule's identity conditions must hold for the
 * session. Without a data plane to ask, it fails closed (`unavailable`).
 */
export async function checkIdentity(
  db: Db,
  hooks: ConfigHooks | undefined,
  input: { routeId: number; ip: string; method: string | undefined; uri: string | undefined },
  who: RouteSessionIdentity | null,
): Promise<IdentityVerdict> {
  const [access] = await db
    .select({ policyId: routes.policyId, policy: routes.policy })
    .from(routes)
    .where(eq(routes.id, input.routeId));
  const policy = access ? await effectivePolicy(db, access) : undefined;
  if (!policy || !policyChecksIdentity(policy)) return 'allow';
  const dataPlane = hooks?.dataPlane;
  if (!dataPlane) return 'unavailable';
  const path = (input.uri ?? '/').split('?')[0]!.slice(0, 2048) || '/';
  const method = /^[A-Z]{1,20}$/.test(input.method ?? '') ? input.method : 'GET';
  const res = await dataPlane.explain(String(input.routeId), input.ip, { method, path });
  const decision = (res.body as { decision?: { allowed?: boolean; rule_index?: number | null } } | undefined)?.decision;
  if (res.status !== 200 || !decision?.allowed) return 'unavailable';
  const identity = { email: who?.email ?? null, groups: who?.groups ?? [] };
  return identityAllows(policy, decision.rule_index ?? null, identity) ? 'allow' : 'deny';
}
