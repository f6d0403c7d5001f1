import {
  CONDITION_TYPES,
  type ConditionType,
  POLICY_LIMITS,
  type Policy,
  type PolicyInput,
  WEEKDAYS,
} from '../../policy/schema.ts';
import { type Form, list, str } from '../shared/forms.ts';

/**
 * The policy editor's state as the form carries it: strings as typed, so a failed save shows what was sent.
 * Field names are the policy's own paths (`rules.2.conditions.0.values`), which are also where the API's
 * field errors point (`policy.rules.2.conditions.0.values.1` → that input).
 */
export interface DraftCondition {
  type: ConditionType;
  not: boolean;
  /** Values, one per line or comma-separated (all types but time). */
  values: string;
  days: string[];
  from: string;
  to: string;
  tz: string;
}
export interface DraftRule {
  action: 'allow' | 'deny';
  name: string;
  login: boolean;
  conditions: DraftCondition[];
}
export interface Draft {
  name: string;
  description: string;
  default: 'allow' | 'deny';
  login: boolean;
  rateLimit: { on: boolean; requests: string; window: string };
  rules: DraftRule[];
}

export const emptyCondition = (type: ConditionType = 'ip'): DraftCondition => ({
  type,
  not: false,
  values: '',
  days: type === 'time' ? ['mon', 'tue', 'wed', 'thu', 'fri'] : [],
  from: type === 'time' ? '08:00' : '',
  to: type === 'time' ? '18:00' : '',
  tz: type === 'time' ? 'UTC' : '',
});
const emptyRule = (): DraftRule => ({ action: 'allow', name: '', login: false, conditions: [emptyCondition()] });

export const newDraft = (): Draft => ({
  name: '',
  description: '',
  default: 'deny',
  login: false,
  rateLimit: { on: false, requests: '100', window: '1m' },
  rules: [],
});

const on = (form: Form, key: string) => list(form, key).includes('1');
/** The indices present under `prefix` (`rules.` → 0, 1, 4), in order, at most `max`. */
function indices(form: Form, prefix: string, suffix: string, max: number): number[] {
  const re = new RegExp(`^${prefix.replace(/\./g, '\\.')}(\\d{1,5})\\.${suffix}$`);
  const found = new Set<number>();
  for (const key of Object.keys(form)) {
    const m = re.exec(key);
    if (m) found.add(Number(m[1]));
  }
  return [...found].sort((a, b) => a - b).slice(0, max);
}

export function readDraft(form: Form): Draft {
  const rules = indices(form, 'rules.', 'action', POLICY_LIMITS.rules).map((i): DraftRule => {
    const r = `rules.${i}`;
    const conditions = indices(form, `${r}.conditions.`, 'type', POLICY_LIMITS.conditionsPerRule).map((j) => {
      const c = `${r}.conditions.${j}`;
      const type = str(form, `${c}.type`) as ConditionType;
      return {
        type: CONDITION_TYPES.includes(type) ? type : 'ip',
        not: on(form, `${c}.not`),
        values: str(form, `${c}.values`),
        days: list(form, `${c}.days`).filter((d) => (WEEKDAYS as readonly string[]).includes(d)),
        from: str(form, `${c}.from`),
        to: str(form, `${c}.to`),
        tz: str(form, `${c}.tz`),
      };
    });
    return {
      action: str(form, `${r}.action`) === 'deny' ? 'deny' : 'allow',
      name: str(form, `${r}.name`),
      login: on(form, `${r}.login`),
      conditions,
    };
  });
  return {
    name: str(form, 'name'),
    description: str(form, 'description'),
    default: str(form, 'default') === 'allow' ? 'allow' : 'deny',
    login: on(form, 'login'),
    rateLimit: {
      on: on(form, 'rate_limit.on'),
      requests: str(form, 'rate_limit.requests'),
      window: str(form, 'rate_limit.window'),
    },
    rules,
  };
}

const splitValues = (text: string) => text.split(/[\s,]+/).filter(Boolean);

/** The draft as the API's policy input (unvalidated: PolicySchema judges it). */
export function draftToPolicy(d: Draft): PolicyInput {
  return {
    default: d.default,
    ...(d.login ? { login: true } : {}),
    ...(d.rateLimit.on
      ? { rate_limit: { requests: Number(d.rateLimit.requests || Number.NaN), window: d.rateLimit.window as '1m' } }
      : {}),
    rules: d.rules.map((r) => ({
      action: r.action,
      ...(r.name ? { name: r.name } : {}),
      ...(r.login ? { login: true } : {}),
      conditions: r.conditions.map((c) =>
        c.type === 'time'
          ? {
              type: 'time' as const,
              ...(c.not ? { not: true } : {}),
              days: c.days as 'mon'[],
              from: c.from,
              to: c.to,
              tz: c.tz || 'UTC',
            }
          : { type: c.type, ...(c.not ? { not: true } : {}), values: splitValues(c.values) },
      ),
    })),
  };
}

export function policyToDraft(p: Policy, name = '', description = ''): Draft {
  return {
    name,
    description,
    default: p.default,
    login: Boolean(p.login),
    rateLimit: p.rate_limit
      ? { on: true, requests: String(p.rate_limit.requests), window: p.rate_limit.window }
      : { on: false, requests: '100', window: '1m' },
    rules: p.rules.map((r) => ({
      action: r.action,
      name: r.name ?? '',
      login: Boolean(r.login),
      conditions: r.conditions.map((c) =>
        c.type === 'time'
          ? { ...emptyCondition('time'), not: Boolean(c.not), days: [...c.days], from: c.from, to: c.to, tz: c.tz }
          : { ...emptyCondition(c.type), not: Boolean(c.not), values: c.values.join('\n') },
      ),
    })),
  };
}

/**
 * The editor's buttons (`op`): add, remove and move rules, add and remove conditions. Applied on the server,
 * so the editor works without script; htmx only swaps the result in. Unknown or out-of-range ops do nothing.
 */
export function applyOp(d: Draft, op: string): Draft {
  const [verb, a, b] = op.split(':');
  const i = Number(a);
  const j = Number(b);
  const rules = [...d.rules];
  const rule = Number.isInteger(i) ? rules[i] : undefined;
  switch (verb) {
    case 'add-rule':
      if (rules.length < POLICY_LIMITS.rules) rules.push(emptyRule());
      break;
    case 'remove-rule':
      if (rule) rules.splice(i, 1);
      break;
    case 'up':
      if (rule && i > 0) [rules[i - 1], rules[i]] = [rule, rules[i - 1]!];
      break;
    case 'down':
      if (rule && i < rules.length - 1) [rules[i + 1], rules[i]] = [rule, rules[i + 1]!];
      break;
    case 'add-condition':
      if (rule && rule.conditions.length < POLICY_LIMITS.conditionsPerRule)
        rules[i] = { ...rule, conditions: [...rule.conditions, emptyCondition()] };
      break;
    case 'remove-condition':
      if (rule && Number.isInteger(j)) rules[i] = { ...rule, conditions: rule.conditions.filter((_, k) => k !== j) };
      break;
    default:
      // 'refresh' (a condition's type changed) and anything else: re-render as is, with the new type's inputs.
      break;
  }
  return { ...d, rules };
}

/**
 * An API field error → the editor input it belongs to: `policy.rules.1.conditions.0.values.3` →
 * `rules.1.conditions.0.values`; `name` → `name`. Errors with no input land in the summary.
 */
export function errorKey(field: string): string {
  const path = field.replace(/^policy\./, '');
  const cond = /^(rules\.\d+\.conditions\.\d+)\.(values|days|from|to|tz|type|not)/.exec(path);
  if (cond) return `${cond[1]}.${cond[2]}`;
  const condition = /^(rules\.\d+\.conditions\.\d+)/.exec(path);
  if (condition) return `${condition[1]}.type`;
  const rule = /^(rules\.\d+)\.(action|name|login|conditions)/.exec(path);
  if (rule) return `${rule[1]}.${rule[2]}`;
  const rate = /^rate_limit\.(requests|window)/.exec(path);
  if (rate) return `rate_limit.${rate[1]}`;
  if (/^rules$/.test(path)) return 'rules';
  return path;
}
