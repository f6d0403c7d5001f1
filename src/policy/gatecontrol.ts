import { isDeepStrictEqual } from 'node:util';
import type { Policy, PolicyCondition, PolicyRule, RATE_LIMIT_WINDOWS } from './schema.ts';

/**
 * The GateControl view of a policy (docs/architecture.md "GateControl compatibility"): the route fields
 * `acl_*`, `ip_filter_*`, `rate_limit_*` and `auth_enabled`, which describe a fixed chain — peer ACL, then IP
 * filter, then rate limit, then login. Each maps to rules of its own:
 *
 * - ACL on: one `deny` rule "peer ACL" with `not peer <ids>` and `not peer_tag <tags>` (no entries: deny all);
 * - whitelist: one `deny` rule "IP filter (whitelist)" with `not ip`, `not cidr`, `not country` (no rules: deny all);
 * - blacklist: one `deny` rule "IP filter (blacklist)" per non-empty type;
 * - `default: allow`; `rate_limit_*` ↔ `rate_limit`; `auth_enabled` ↔ `login`.
 *
 * A policy has this view exactly when mapping the view back reproduces it (`gateControlView` checks the round
 * trip); any other policy is shown with the sections off and `policy_expressible: false`.
 */
export const IP_FILTER_MODES = ['whitelist', 'blacklist'] as const;

export interface GateControlAccess {
  acl_enabled: boolean;
  /** Peer ids and `tag:<name>` groups. */
  acl_peers: (number | string)[];
  ip_filter_enabled: boolean;
  ip_filter_mode: (typeof IP_FILTER_MODES)[number];
  ip_filter_rules: { type: 'ip' | 'cidr' | 'country'; value: string }[];
  rate_limit_enabled: boolean;
  rate_limit_requests: number;
  rate_limit_window: (typeof RATE_LIMIT_WINDOWS)[number];
  auth_enabled: boolean;
}

/** The fields of a route whose policy cannot be shown this way, or that has none of it. */
export const GATECONTROL_OFF: Readonly<GateControlAccess> = Object.freeze({
  acl_enabled: false,
  acl_peers: [],
  ip_filter_enabled: false,
  ip_filter_mode: 'whitelist',
  ip_filter_rules: [],
  rate_limit_enabled: false,
  rate_limit_requests: 100,
  rate_limit_window: '1m',
  auth_enabled: false,
});

export const GATECONTROL_FIELDS = Object.keys(GATECONTROL_OFF) as (keyof GateControlAccess)[];

const ACL_RULE = 'peer ACL';
const WHITELIST_RULE = 'IP filter (whitelist)';
const BLACKLIST_RULE = 'IP filter (blacklist)';
const FILTER_TYPES = ['ip', 'cidr', 'country'] as const;

/** The policy the GateControl fields describe. Values must already be normalised (the policy schema does it). */
export function policyFromGateControl(access: GateControlAccess): Policy {
  const rules: PolicyRule[] = [];
  if (access.acl_enabled) {
    const ids = access.acl_peers.filter((p): p is number => typeof p === 'number').map(String);
    const tags = access.acl_peers.filter((p): p is string => typeof p === 'string').map((t) => t.replace(/^tag:/, ''));
    const conditions: PolicyCondition[] = [];
    if (ids.length) conditions.push({ type: 'peer', not: true, values: ids });
    if (tags.length) conditions.push({ type: 'peer_tag', not: true, values: tags });
    rules.push({ action: 'deny', name: ACL_RULE, conditions });
  }
  if (access.ip_filter_enabled) {
    const byType = FILTER_TYPES.map(
      (type) =>
        [type, [...new Set(access.ip_filter_rules.filter((r) => r.type === type).map((r) => r.value))]] as [
          (typeof FILTER_TYPES)[number],
          string[],
        ],
    ).filter(([, values]) => values.length > 0);
    if (access.ip_filter_mode === 'whitelist') {
      const conditions = byType.map(([type, values]): PolicyCondition => ({ type, not: true, values }));
      rules.push({ action: 'deny', name: WHITELIST_RULE, conditions });
    } else {
      for (const [type, values] of byType) {
        rules.push({ action: 'deny', name: BLACKLIST_RULE, conditions: [{ type, values }] });
      }
    }
  }
  const policy: Policy = { rules, default: 'allow' };
  if (access.auth_enabled) policy.login = true;
  if (access.rate_limit_enabled) {
    policy.rate_limit = { requests: access.rate_limit_requests, window: access.rate_limit_window };
  }
  return policy;
}

/**
 * The GateControl fields that describe `policy` exactly, or undefined when no setting of them does (rules they
 * cannot express: allow rules, time windows, ASNs, a deny default, …).
 */
export function gateControlView(policy: Policy): GateControlAccess | undefined {
  const view: GateControlAccess = { ...GATECONTROL_OFF, acl_peers: [], ip_filter_rules: [] };
  for (const rule of policy.rules) {
    if (rule.name === ACL_RULE && !view.acl_enabled) {
      view.acl_enabled = true;
      for (const c of rule.conditions) {
        if (c.type === 'peer') view.acl_peers.push(...c.values.map(Number));
        else if (c.type === 'peer_tag') view.acl_peers.push(...c.values.map((t) => `tag:${t}`));
      }
    } else if (rule.name === WHITELIST_RULE || rule.name === BLACKLIST_RULE) {
      view.ip_filter_enabled = true;
      view.ip_filter_mode = rule.name === WHITELIST_RULE ? 'whitelist' : 'blacklist';
      for (const c of rule.conditions) {
        if (c.type === 'ip' || c.type === 'cidr' || c.type === 'country') {
          view.ip_filter_rules.push(...c.values.map((value) => ({ type: c.type, value })));
        }
      }
    } else {
      return undefined;
    }
  }
  if (policy.rate_limit) {
    view.rate_limit_enabled = true;
    view.rate_limit_requests = policy.rate_limit.requests;
    view.rate_limit_window = policy.rate_limit.window;
  }
  view.auth_enabled = Boolean(policy.login);
  return isDeepStrictEqual(comparable(policyFromGateControl(view)), comparable(policy)) ? view : undefined;
}

/** Drops what reads the same either way (`not: false`, `login: false`, empty optional fields). */
function comparable(policy: Policy): unknown {
  return JSON.parse(
    JSON.stringify(policy, (key, value) => (value === false && (key === 'not' || key === 'login') ? undefined : value)),
  );
}
