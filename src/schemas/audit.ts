import { z } from '@hono/zod-openapi';
import { PaginationQuery, PaginationSchema, Timestamp } from './common.ts';

// Filter values are compared exactly; the limits only keep a hostile query string from growing the SQL.
const Token = (what: string, max: number) =>
  z
    .string()
    .trim()
    .min(1, `${what} must not be empty`)
    .max(max, `${what} must be at most ${max} characters`)
    .regex(/^[A-Za-z0-9_.:@-]+$/, `${what} may contain letters, digits and _.:@- only`);

/** `GET /api/v1/audit` query: the same filters as the dashboard's audit page. */
export const AuditQuerySchema = z
  .object({
    ...PaginationQuery,
    resource_type: Token('resource_type', 40)
      .optional()
      .openapi({ param: { name: 'resource_type', in: 'query' }, example: 'route' }),
    resource_id: Token('resource_id', 40)
      .optional()
      .openapi({ param: { name: 'resource_id', in: 'query' }, example: '3' }),
    actor: Token('actor', 80)
      .optional()
      .openapi({
        param: { name: 'actor', in: 'query' },
        description: '`admin:<id>`, `token:<id>`, `gateway:<id>` or `system`',
        example: 'admin:1',
      }),
    action: Token('action', 80)
      .optional()
      .openapi({ param: { name: 'action', in: 'query' }, example: 'route.update' }),
    since: z
      .string()
      .datetime({ offset: true, message: 'since must be an ISO-8601 time, e.g. 2026-11-21T12:00:00Z' })
      .optional()
      .openapi({ param: { name: 'since', in: 'query' } }),
    until: z
      .string()
      .datetime({ offset: true, message: 'until must be an ISO-8601 time, e.g. 2026-11-21T12:00:00Z' })
      .optional()
      .openapi({ param: { name: 'until', in: 'query' } }),
  })
  .refine((q) => !q.since || !q.until || Date.parse(q.since) <= Date.parse(q.until), {
    message: 'since must not be after until',
    path: ['since'],
  });

export type AuditQuery = z.infer<typeof AuditQuerySchema>;

export const AuditEntrySchema = z
  .object({
    id: z.number().int(),
    at: Timestamp,
    actor: z.string(),
    action: z.string(),
    resource_type: z.string().nullable(),
    resource_id: z.string().nullable(),
    ip: z.string().nullable(),
    request_id: z.string().nullable(),
    before: z
      .unknown()
      .openapi({ description: 'The resource before the change (secrets redacted); null for a create' }),
    after: z.unknown().openapi({ description: 'The resource after the change (secrets redacted); null for a delete' }),
    changes: z
      .array(z.object({ field: z.string(), before: z.unknown(), after: z.unknown() }))
      .openapi({ description: 'The fields that differ between before and after' }),
  })
  .openapi('AuditEntry');

export const AuditPageSchema = z
  .object({ data: z.array(AuditEntrySchema), pagination: PaginationSchema })
  .openapi('AuditPage');
