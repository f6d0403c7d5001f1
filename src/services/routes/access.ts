import { eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../db/index.ts';
import { peers, policies } from '../../db/schema/index.ts';
import { ConflictError, type FieldIssue, ValidationError } from '../../errors.ts';
import {
  GATECONTROL_FIELDS,
  GATECONTROL_OFF,
  type GateControlAccess,
  gateControlView,
  policyFromGateControl,
} from '../../policy/gatecontrol.ts';
import { peerIdsOf } from '../../policy/peers.ts';
import { l4PolicyIssues, normalizeConditionValue, type Policy, policyUsesLogin } from '../../policy/schema.ts';
import type { RouteFields } from '../../schemas/routes.ts';

/**
 * A route's access policy (docs/architecture.md "Access control", "GateControl compatibility"): a shared one
 * (`policy_id`) or its own (`policy`), and the GateControl fields as a view of its own one.
 */
export interface RouteAccess {
  policyId: number | null;
  /** The route's own policy; null while a shared one is attached. */
  policy: Policy | null;
}

/** Which of the access inputs a request used: the new fields, the GateControl view, or neither. */
export function accessSource(f: RouteFields): 'policy' | 'gatecontrol' | undefined {
  if (f.policy !== undefined || f.policy_id !== undefined) return 'policy';
  return GATECONTROL_FIELDS.some((k) => f[k] !== undefined) ? 'gatecontrol' : undefined;
}

/** The access columns after a request's fields: refuses mixing (422) and GateControl writes it cannot make (409). */
export function applyAccessFields(base: RouteAccess, f: RouteFields): RouteAccess {
  const gateControl = GATECONTROL_FIELDS.filter((k) => f[k] !== undefined);
  if (accessSource(f) === 'policy') {
    if (gateControl.length > 0) {
      throw new ValidationError(
        gateControl.map((field) => ({
          field,
          message: 'cannot be combined with policy or policy_id (these fields are a view of the route’s own policy)',
        })),
      );
    }
    return applyPolicyFields(base, f);
  }
  if (gateControl.length === 0) return base;
  if (base.policyId !== null) {
    throw new ConflictError(
      `this route uses the shared policy ${base.policyId}; ${gateControl.join(', ')} only edit a route's own policy: change the shared policy, or give the route its own with "policy"`,
      { fields: gateControl, policy_id: base.policyId },
    );
  }
  const view = gateControlView(base.policy ?? GATECONTROL_OFF_POLICY);
  if (!view) {
    throw new ConflictError(
      `this route's policy has rules the GateControl fields cannot show (policy_expressible: false); ${gateControl.join(', ')} cannot change it: edit "policy" instead`,
      { fields: gateControl },
    );
  }
  const merged: GateControlAccess = { ...view };
  for (const key of gateControl) Object.assign(merged, { [key]: f[key] });
  merged.ip_filter_rules = normalizeFilterRules(merged.ip_filter_rules);
  return { policyId: null, policy: policyFromGateControl(merged) };
}

const GATECONTROL_OFF_POLICY = policyFromGateControl(GATECONTROL_OFF);

function applyPolicyFields(base: RouteAccess, f: RouteFields): RouteAccess {
  if (f.policy_id != null) {
    if (f.policy != null) {
      throw new ValidationError([{ field: 'policy', message: 'must be null or absent when policy_id is set' }]);
    }
    return { policyId: f.policy_id, policy: null };
  }
  if (f.policy != null) return { policyId: null, policy: f.policy };
  // Only nulls from here: a route always has a policy, shared or its own.
  if (f.policy_id === null && base.policyId === null) return base;
  if (f.policy_id === undefined && base.policyId !== null) return base;
  throw new ValidationError([
    {
      field: 'policy',
      message:
        f.policy_id === null
          ? 'is required when the route leaves its shared policy (policy_id: null): the route’s own policy'
          : 'cannot be null while the route has no shared policy ({"rules":[],"default":"allow"} lets everybody in)',
    },
  ]);
}

function normalizeFilterRules(rules: GateControlAccess['ip_filter_rules']): GateControlAccess['ip_filter_rules'] {
  const issues: FieldIssue[] = [];
  const out = rules.map((rule, i) => {
    const r = normalizeConditionValue(rule.type, rule.value);
    if ('error' in r) issues.push({ field: `ip_filter_rules.${i}.value`, message: r.error });
    return 'value' in r ? { type: rule.type, value: r.value } : rule;
  });
  if (issues.length > 0) throw new ValidationError(issues);
  return out;
}

/** The policy a route follows: its shared one (loaded) or its own. Undefined for a shared id that is gone. */
export async function effectivePolicy(tx: DbOrTx, access: RouteAccess): Promise<Policy | undefined> {
  if (access.policyId === null) return access.policy ?? undefined;
  const [row] = await tx.select({ policy: policies.policy }).from(policies).where(eq(policies.id, access.policyId));
  return row?.policy;
}

/** Whether the route's clients (some or all) must log in: what `auth_enabled` meant before policies. */
export async function routeUsesLogin(tx: DbOrTx, access: RouteAccess): Promise<boolean> {
  const policy = await effectivePolicy(tx, access);
  return policy ? policyUsesLogin(policy) : false;
}

/**
 * What the policy refers to must exist and fit the route: the shared policy, the peers its conditions name
 * (field errors on the input the request used), and on L4 routes no HTTP-only condition or login.
 */
export async function accessIssues(
  tx: DbOrTx,
  d: RouteAccess & { type: 'http' | 'l4' },
  f: RouteFields | undefined,
): Promise<FieldIssue[]> {
  const source = f ? accessSource(f) : undefined;
  const issues: FieldIssue[] = [];
  const policy = await effectivePolicy(tx, d);
  if (!policy) return [{ field: 'policy_id', message: `policy ${d.policyId} does not exist` }];
  if (d.policyId === null) {
    const ids = peerIdsOf(policy);
    const found = ids.length ? await tx.select({ id: peers.id }).from(peers).where(inArray(peers.id, ids)) : [];
    const known = new Set(found.map((p) => p.id));
    if (source === 'gatecontrol') {
      (f?.acl_peers ?? []).forEach((p, i) => {
        if (typeof p === 'number' && !known.has(p))
          issues.push({ field: `acl_peers.${i}`, message: `peer ${p} does not exist` });
      });
    } else {
      for (const [i, rule] of policy.rules.entries()) {
        for (const [j, c] of rule.conditions.entries()) {
          if (c.type !== 'peer') continue;
          for (const [k, v] of c.values.entries()) {
            if (!known.has(Number(v)))
              issues.push({
                field: `policy.rules.${i}.conditions.${j}.values.${k}`,
                message: `peer ${v} does not exist`,
              });
          }
        }
      }
    }
  }
  if (d.type === 'l4') {
    for (const issue of l4PolicyIssues(policy)) {
      if (d.policyId !== null)
        issues.push({ field: 'policy_id', message: `the shared policy: ${issue.path}: ${issue.message}` });
      else if (source === 'gatecontrol')
        issues.push({ field: 'auth_enabled', message: 'route auth is only for HTTP routes' });
      else issues.push({ field: `policy.${issue.path}`, message: issue.message });
    }
  }
  return issues;
}

/** The access fields of the API's route: the policy, and the GateControl view where it shows it exactly. */
export function publicAccess(r: RouteAccess) {
  const view = r.policyId === null && r.policy ? gateControlView(r.policy) : undefined;
  return {
    policy_id: r.policyId,
    policy: r.policyId === null ? r.policy : null,
    policy_expressible: view !== undefined,
    ...(view ?? { ...GATECONTROL_OFF, acl_peers: [], ip_filter_rules: [] }),
  };
}
