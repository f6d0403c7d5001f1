import { posix } from 'node:path';
import { z } from '@hono/zod-openapi';
import { normalizeAddress, normalizePrefix } from './addresses.ts';

/**
 * The access policy (docs/architecture.md "Access control"): ordered allow/deny rules and a default, the rate
 * limit and whether allowed clients must log in. This zod schema is the one declaration of the policy: the
 * database column's type, the API's input and output, the OpenAPI document and the snapshot compiler all derive
 * from it (the snapshot adds `addresses` to peer conditions and the shared policy's `name`).
 */

/** Bounds shared with the data plane (caddy-module/policy). */
export const POLICY_LIMITS = {
  rules: 5_000,
  conditionsPerRule: 32,
  valuesPerCondition: 10_000,
  valueLength: 253,
  nameLength: 100,
} as const;

export const POLICY_ACTIONS = ['allow', 'deny'] as const;
export const RATE_LIMIT_WINDOWS = ['1s', '1m', '5m', '1h'] as const;
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const CONDITION_TYPES = [
  'peer',
  'peer_tag',
  'ip',
  'cidr',
  'country',
  'asn',
  'path_prefix',
  'method',
  'time',
  'email',
  'email_domain',
  'group',
] as const;
/**
 * Who logged in (the route login through an identity provider): the control plane's verify endpoint checks
 * them after the login (src/policy/identity.ts); the data plane never sees identities, so the snapshot
 * compiler leaves them out and their rule asks for the login there.
 */
export const IDENTITY_CONDITIONS: readonly ConditionType[] = ['email', 'email_domain', 'group'];
/** Conditions that only an HTTP request has. */
export const HTTP_ONLY_CONDITIONS: readonly ConditionType[] = ['path_prefix', 'method', ...IDENTITY_CONDITIONS];
export type ConditionType = (typeof CONDITION_TYPES)[number];

/** Normalises one value of a condition; returns an error message for a value that is not one. */
type ValueNormaliser = (value: string) => { value: string } | { error: string };

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const VALUE_NORMALISERS: Record<Exclude<ConditionType, 'time'>, ValueNormaliser> = {
  peer: (v) => (/^[1-9]\d{0,15}$/.test(v) ? { value: v } : { error: `"${v}" is not a peer id` }),
  peer_tag: (v) => {
    const tag = v.toLowerCase();
    return /^[a-z0-9][a-z0-9_.-]{0,31}$/.test(tag) ? { value: tag } : { error: `"${v}" is not a peer tag` };
  },
  ip: (v) => {
    const ip = normalizeAddress(v);
    return ip ? { value: ip } : { error: `"${v}" is not an IP address` };
  },
  cidr: (v) => {
    const prefix = normalizePrefix(v);
    return prefix ? { value: prefix } : { error: `"${v}" is not a CIDR range like 10.0.0.0/8` };
  },
  country: (v) => {
    const code = v.toUpperCase();
    return /^[A-Z]{2}$/.test(code) ? { value: code } : { error: `"${v}" is not a two-letter country code` };
  },
  asn: (v) => {
    const m = /^(?:AS)?(\d{1,10})$/i.exec(v);
    const n = m ? Number(m[1]) : Number.NaN;
    return m && n >= 1 && n <= 4_294_967_295 ? { value: String(n) } : { error: `"${v}" is not an AS number` };
  },
  // Cleaned as the data plane compares paths (no //, /./ or /../; a trailing / kept), which refuses others.
  path_prefix: (v) =>
    v.startsWith('/') && !/[\s?#\p{Cc}]/u.test(v)
      ? { value: posix.normalize(v) }
      : { error: `"${v}" must be a path starting with /` },
  method: (v) => {
    const method = v.toUpperCase();
    return /^[A-Z]{1,20}$/.test(method) ? { value: method } : { error: `"${v}" is not an HTTP method` };
  },
  // Compared case-insensitively: the identity's email is lower-cased the same way (src/oidc/client.ts).
  email: (v) => {
    const email = v.toLowerCase();
    const at = email.lastIndexOf('@');
    return at > 0 && !/[\s\p{Cc}]/u.test(email) && DOMAIN.test(email.slice(at + 1))
      ? { value: email }
      : { error: `"${v}" is not an email address` };
  },
  email_domain: (v) => {
    const domain = v.toLowerCase().replace(/^@/, '');
    return DOMAIN.test(domain) ? { value: domain } : { error: `"${v}" is not a domain like example.com` };
  },
  // Group names are the provider's (case kept); control characters never are one.
  group: (v) => (/\p{Cc}/u.test(v) ? { error: `"${v}" has control characters` } : { value: v }),
};

const conditionValue = z.string().trim().min(1, 'must not be empty').max(POLICY_LIMITS.valueLength);

function valuesFor(type: Exclude<ConditionType, 'time'>) {
  const normalise = VALUE_NORMALISERS[type];
  return z
    .array(conditionValue)
    .min(1, 'needs at least one value')
    .max(POLICY_LIMITS.valuesPerCondition, `at most ${POLICY_LIMITS.valuesPerCondition} values`)
    .transform((values, ctx) => {
      const out: string[] = [];
      values.forEach((raw, i) => {
        const r = normalise(raw);
        if ('error' in r) ctx.addIssue({ code: 'custom', path: [i], message: r.error });
        else if (!out.includes(r.value)) out.push(r.value);
      });
      return out;
    });
}

const not = z.boolean().optional().openapi({ description: 'The condition holds when the test does NOT match' });

const HHMM = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/;

/** True when `tz` names a zone this runtime knows (IANA names, e.g. Europe/Berlin). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const TimeConditionSchema = z
  .strictObject({
    type: z.literal('time'),
    not,
    days: z
      .array(z.enum(WEEKDAYS, { message: `must be one of ${WEEKDAYS.join(', ')}` }))
      .min(1, 'needs at least one day')
      .max(7)
      .transform((days) => WEEKDAYS.filter((d) => days.includes(d))),
    from: z.string().regex(HHMM, 'must be a time HH:MM (00:00–24:00)'),
    to: z.string().regex(HHMM, 'must be a time HH:MM (00:00–24:00)'),
    tz: z
      .string()
      .trim()
      .max(64)
      .refine(isTimeZone, 'is not a known IANA time zone (e.g. Europe/Berlin)')
      .default('UTC'),
  })
  .refine((c) => c.from !== c.to, { path: ['to'], message: 'must differ from "from"' })
  .openapi('PolicyTimeCondition');

function valueCondition<T extends Exclude<ConditionType, 'time'>>(type: T) {
  return z.strictObject({ type: z.literal(type), not, values: valuesFor(type) });
}

export const ConditionSchema = z
  .discriminatedUnion('type', [
    valueCondition('peer'),
    valueCondition('peer_tag'),
    valueCondition('ip'),
    valueCondition('cidr'),
    valueCondition('country'),
    valueCondition('asn'),
    valueCondition('path_prefix'),
    valueCondition('method'),
    valueCondition('email'),
    valueCondition('email_domain'),
    valueCondition('group'),
    TimeConditionSchema,
  ])
  .openapi('PolicyCondition', {
    description:
      'Holds when any value matches (peer: ids, peer_tag: tags, ip, cidr, country: ISO codes, asn: AS numbers, ' +
      'path_prefix and method: HTTP routes only; email, email_domain, group: who logged in through an identity ' +
      'provider, allow rules with a login only), or for time when the weekday and time of day in tz fall in ' +
      'the window; `not` negates it',
  });
export type PolicyCondition = z.infer<typeof ConditionSchema>;

/** Whether a rule names who logged in (identity conditions: checked by the control plane after the login). */
export function hasIdentityCondition(rule: { conditions: readonly { type: string }[] }): boolean {
  return rule.conditions.some((c) => IDENTITY_CONDITIONS.includes(c.type as ConditionType));
}

export const RuleSchema = z
  .strictObject({
    action: z.enum(POLICY_ACTIONS, { message: 'must be allow or deny' }),
    name: z.string().trim().max(POLICY_LIMITS.nameLength).optional(),
    login: z
      .boolean()
      .optional()
      .openapi({ description: 'Allow rules on HTTP routes: the client gets in only after the route login' }),
    conditions: z
      .array(ConditionSchema)
      .max(POLICY_LIMITS.conditionsPerRule, `at most ${POLICY_LIMITS.conditionsPerRule} conditions`)
      .default([]),
  })
  .refine((r) => !(r.login && r.action === 'deny'), {
    path: ['login'],
    message: 'only an allow rule can ask for a login',
  })
  .refine((r) => r.action === 'allow' || !hasIdentityCondition(r), {
    path: ['action'],
    message: 'email, email_domain and group conditions are only possible on allow rules (checked after the login)',
  })
  .openapi('PolicyRule');
export type PolicyRule = z.infer<typeof RuleSchema>;

export const RateLimitSchema = z
  .strictObject({
    requests: z.number().int('must be a whole number').min(1, 'must be 1–100000').max(100_000, 'must be 1–100000'),
    window: z.enum(RATE_LIMIT_WINDOWS, { message: 'must be one of 1s, 1m, 5m, 1h' }),
  })
  .openapi('PolicyRateLimit', {
    description: 'At most `requests` requests (HTTP) or new connections (L4) per client in any window of this length',
  });

export const PolicySchema = z
  .strictObject({
    rules: z.array(RuleSchema).max(POLICY_LIMITS.rules, `at most ${POLICY_LIMITS.rules} rules`).default([]),
    default: z.enum(POLICY_ACTIONS, { message: 'must be allow or deny' }),
    login: z.boolean().optional().openapi({ description: 'HTTP routes: every allowed client must log in' }),
    rate_limit: RateLimitSchema.optional(),
  })
  .superRefine((p, ctx) => {
    p.rules.forEach((r, i) => {
      if (!p.login && !r.login && r.action === 'allow' && hasIdentityCondition(r))
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'login'],
          message: 'a rule with email, email_domain or group conditions needs the login (login: true)',
        });
    });
  })
  .openapi('Policy', {
    description: 'Ordered rules: the first whose conditions all hold decides; none → default',
  });
/** A policy as stored and as the API shows it. */
export type Policy = z.infer<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;

/** What a route without any access control has: everybody in, no limit, no login. */
export const OPEN_POLICY: Policy = Object.freeze({ rules: [], default: 'allow' }) as Policy;

/**
 * Problems a policy has on an L4 route (paths relative to the policy): HTTP-only conditions and logins. The
 * data plane refuses the same (caddy-module/policy), so a route never reaches it with one.
 */
export function l4PolicyIssues(policy: Policy): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  if (policy.login) issues.push({ path: 'login', message: 'a login is only possible on HTTP routes' });
  policy.rules.forEach((rule, i) => {
    if (rule.login) issues.push({ path: `rules.${i}.login`, message: 'a login is only possible on HTTP routes' });
    rule.conditions.forEach((c, j) => {
      if (HTTP_ONLY_CONDITIONS.includes(c.type))
        issues.push({ path: `rules.${i}.conditions.${j}.type`, message: `${c.type} only applies to HTTP routes` });
    });
  });
  return issues;
}

/** Whether any allow path of the policy needs the route login (the route then needs its login configured). */
export function policyUsesLogin(policy: Policy): boolean {
  return Boolean(policy.login) || policy.rules.some((r) => r.action === 'allow' && r.login);
}

/** One value of a condition in its stored form, or why it is not one (the GateControl fields reuse this). */
export function normalizeConditionValue(type: Exclude<ConditionType, 'time'>, value: string) {
  return VALUE_NORMALISERS[type](value.trim());
}
