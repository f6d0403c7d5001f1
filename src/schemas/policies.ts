import { z } from '@hono/zod-openapi';
import { normalizeAddress } from '../policy/addresses.ts';
import { PolicySchema } from '../policy/schema.ts';
import { NameSchema, PaginationQuery, PaginationSchema, Timestamp } from './common.ts';

/**
 * The shared-policy resource (`/api/v1/policies`). The policy value itself is declared once, in
 * src/policy/schema.ts; this file only adds the resource around it (name, description, usage) and explain's
 * question.
 */

const DescriptionSchema = z.string().trim().max(500, 'must be at most 500 characters');

export const CreatePolicySchema = z
  .strictObject({
    name: NameSchema.openapi({ example: 'staff or Germany with login' }),
    description: DescriptionSchema.default(''),
    policy: PolicySchema,
  })
  .openapi('CreatePolicy');
export type CreatePolicyInput = z.infer<typeof CreatePolicySchema>;

export const UpdatePolicySchema = z
  .strictObject({
    name: NameSchema.optional(),
    description: DescriptionSchema.optional(),
    policy: PolicySchema.optional(),
  })
  .openapi('UpdatePolicy', { description: 'Partial: absent fields keep their value' });
export type UpdatePolicyInput = z.infer<typeof UpdatePolicySchema>;

export const PolicyUserSchema = z
  .object({ id: z.number().int(), name: z.string(), type: z.enum(['http', 'l4']) })
  .openapi('PolicyUser', { description: 'A route that uses the policy' });

export const SharedPolicySchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    description: z.string(),
    policy: PolicySchema,
    route_count: z.number().int().openapi({ description: 'How many routes use it' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('SharedPolicy');
export type PublicPolicy = z.infer<typeof SharedPolicySchema>;

export const SharedPolicyDetailSchema = SharedPolicySchema.extend({ routes: z.array(PolicyUserSchema) }).openapi(
  'SharedPolicyDetail',
);

export const WrittenPolicySchema = SharedPolicyDetailSchema.extend({
  config_version: z.number().int().nullable().openapi({ description: 'null when no route uses the policy' }),
  data_plane: z
    .enum(['applied', 'pending', 'unchanged'])
    .openapi({ description: 'unchanged: no route uses it, nothing was pushed; pending: Caddy is down' }),
}).openapi('WrittenPolicy');

export const PolicyListQuerySchema = z.object({
  q: z
    .string()
    .trim()
    .max(64)
    .optional()
    .openapi({ param: { name: 'q', in: 'query' }, description: 'Part of the name' }),
  ...PaginationQuery,
});
export type PolicyListQuery = z.infer<typeof PolicyListQuerySchema>;

export const PolicyListSchema = z
  .object({ data: z.array(SharedPolicySchema), pagination: PaginationSchema })
  .openapi('PolicyList');

/** Explain's instants: RFC 3339 with a zone, within years the data plane's time zone data covers. */
const EARLIEST_AT = Date.UTC(1970, 0, 1);
const LATEST_AT = Date.UTC(2200, 0, 1);

export const ExplainQuestionShape = {
  ip: z
    .string()
    .trim()
    .max(64)
    .transform((v, ctx) => {
      const ip = normalizeAddress(v.replace(/^\[|\]$/g, ''));
      if (!ip) ctx.addIssue({ code: 'custom', message: `"${v}" is not an IP address` });
      return ip ?? v;
    })
    .openapi({ example: '203.0.113.7', type: 'string' }),
  at: z
    .string()
    .trim()
    .max(40)
    .refine((v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(v), {
      message: 'must be an RFC 3339 time with a zone, e.g. 2026-11-30T09:30:00Z',
    })
    .refine(
      (v) => {
        const t = Date.parse(v);
        if (!Number.isFinite(t)) return false;
        // Date.parse rolls 2026-02-30 over to March; a real date reads back as the same calendar day.
        const [, y, mo, d] = /^(\d{4})-(\d{2})-(\d{2})/.exec(v)!;
        const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
        return day.getUTCMonth() === Number(mo) - 1 && day.getUTCDate() === Number(d);
      },
      { message: 'is not a real date and time' },
    )
    .refine(
      (v) => {
        const t = Date.parse(v);
        return !Number.isFinite(t) || (t >= EARLIEST_AT && t < LATEST_AT);
      },
      { message: 'must be between 1970 and 2199' },
    )
    .optional()
    .openapi({ description: 'The instant to decide for (default: now)', example: '2026-11-30T09:30:00Z' }),
  method: z
    .string()
    .trim()
    .regex(/^[A-Za-z]{1,20}$/, 'must be an HTTP method like GET')
    .transform((v) => v.toUpperCase())
    .optional()
    .openapi({ description: 'HTTP routes: the request method (default GET)', type: 'string' }),
  path: z
    .string()
    .max(2048, 'must be at most 2048 characters')
    .regex(/^\/[^\s\0?#]*$/, 'must be a path starting with / (no spaces, query or fragment)')
    .optional()
    .openapi({ description: 'HTTP routes: the request path (default /)' }),
};

export const ExplainPolicySchema = z
  .strictObject({
    ...ExplainQuestionShape,
    kind: z
      .enum(['http', 'l4'], { message: 'must be http or l4' })
      .default('http')
      .openapi({ description: 'Decide as for an HTTP or an L4 route' }),
  })
  .openapi('ExplainPolicyQuestion');
export type ExplainPolicyInput = z.infer<typeof ExplainPolicySchema>;

export const ExplainUnsavedPolicySchema = ExplainPolicySchema.extend({ policy: PolicySchema }).openapi(
  'ExplainUnsavedPolicyQuestion',
);

export const ExplainAnswerSchema = z
  .object({
    decision: z
      .object({
        allowed: z.boolean(),
        check: z.enum(['rule', 'default', 'rate_limit']),
        rule_index: z.number().int().nullable(),
        rule: z.string(),
        login: z.boolean(),
      })
      .passthrough(),
  })
  .passthrough()
  .openapi('ExplainAnswer', { description: 'The data plane’s own answer (docs/snapshot.md, explain)' });
export type ExplainAnswer = z.infer<typeof ExplainAnswerSchema>;
