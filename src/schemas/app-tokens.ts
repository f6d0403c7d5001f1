import { z } from '@hono/zod-openapi';
import { Timestamp } from './common.ts';

const CONTROL = /[\p{Cc}\p{Cf}]/u;
/** Headers an app token may not use: ones HTTP, Caddy or Gatehouse give their own meaning. */
const RESERVED =
  /^(host|cookie|authorization|proxy-authorization|connection|content-.*|transfer-encoding|te|trailer|upgrade|keep-alive|forwarded|x-forwarded-.*|x-real-ip|remote-.*|x-gatehouse-.*)$/i;

const HeaderSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, 'must be a header name (letters, digits and -, at most 64)')
  .refine((v) => !RESERVED.test(v), 'is a header HTTP, Caddy or Gatehouse uses for something else')
  .transform((v) => v.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase()));

/** `/api` or `/api/`: cleaned, no dot segments, no encoded slashes or backslashes. */
const PathPrefixSchema = z
  .string()
  .max(200, 'must be at most 200 characters')
  .regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/, 'must start with / and use URL path characters only')
  .refine((v) => !/(^|\/)\.\.?(\/|$)/.test(v) && !v.includes('//'), 'must be a clean path (no //, . or .. segments)');

export const CreateAppTokenSchema = z
  .strictObject({
    name: z
      .string()
      .trim()
      .min(1, 'is required')
      .max(100, 'must be at most 100 characters')
      .refine((v) => !CONTROL.test(v), 'must not contain control characters'),
    header: HeaderSchema.default('X-App-Token'),
    path_prefixes: z.array(PathPrefixSchema).max(50, 'at most 50 prefixes').default([]).openapi({
      description: 'Empty: every path. Else the request path must equal a prefix or continue it at a /',
    }),
    expires_at: z
      .string()
      .datetime({ message: 'must be an ISO-8601 date-time, e.g. 2027-01-01T00:00:00Z' })
      .refine((v) => Date.parse(v) > Date.now(), 'must be in the future')
      .nullable()
      .default(null),
  })
  .openapi('CreateAppToken');

export const AppTokenSchema = z
  .object({
    id: z.number().int(),
    route_id: z.number().int(),
    name: z.string(),
    prefix: z.string(),
    header: z.string(),
    path_prefixes: z.array(z.string()),
    expires_at: Timestamp.nullable(),
    last_used_at: Timestamp.nullable(),
    created_at: Timestamp,
    revoked_at: Timestamp.nullable(),
  })
  .openapi('AppToken');

export const CreatedAppTokenSchema = AppTokenSchema.extend({
  token: z.string().openapi({ description: 'The secret. Shown once; store it now.' }),
}).openapi('CreatedAppToken');

export type CreateAppTokenInput = z.infer<typeof CreateAppTokenSchema>;
export type PublicAppToken = z.infer<typeof AppTokenSchema>;
