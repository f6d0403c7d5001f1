import { isIP } from 'node:net';
import { z } from '@hono/zod-openapi';

/** A time as ISO-8601 or Unix milliseconds; bounded to years 2000–2200. */
const instant = z
  .string()
  .max(40, 'must be an ISO-8601 time or Unix milliseconds')
  .transform((v, ctx) => {
    const ms = /^\d{1,15}$/.test(v) ? Number(v) : Date.parse(v);
    if (!Number.isFinite(ms) || ms < 946_684_800_000 || ms > 7_258_118_400_000) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 time or Unix milliseconds (years 2000–2200)' });
      return z.NEVER;
    }
    return new Date(ms);
  });

/** The filters the log viewer, the API list, the export and the live tail share. */
export const AccessLogFilterShape = {
  route: z.coerce
    .number({ message: 'must be a route id' })
    .int('must be a route id')
    .min(1, 'must be a route id')
    .max(2_147_483_647, 'must be a route id')
    .optional()
    .openapi({ param: { name: 'route', in: 'query' }, description: 'Route id' }),
  address: z
    .string()
    .trim()
    .max(64, 'must be an IP address')
    .transform((v, ctx) => {
      const a = v.toLowerCase().replace(/^::ffff:(?=\d+\.)/, '');
      if (isIP(a) === 0) {
        ctx.addIssue({ code: 'custom', message: 'must be an IP address' });
        return z.NEVER;
      }
      return a;
    })
    .optional()
    .openapi({ param: { name: 'address', in: 'query' }, description: 'Client address (exact)' }),
  decision: z
    .enum(['allow', 'deny'], { message: 'must be allow or deny' })
    .optional()
    .openapi({ param: { name: 'decision', in: 'query' } }),
  check: z
    .string()
    .regex(/^[a-z_]{1,32}$/, 'must be a check name such as rule, default or rate_limit')
    .optional()
    .openapi({ param: { name: 'check', in: 'query' }, description: 'The deciding check' }),
  rule: z
    .string()
    .max(500, 'must be at most 500 characters')
    .refine(
      (v) => ![...v].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f),
      'may not contain control characters',
    )
    .optional()
    .openapi({ param: { name: 'rule', in: 'query' }, description: 'The deciding rule text (exact)' }),
  from: instant.optional().openapi({ param: { name: 'from', in: 'query' }, description: 'From (inclusive)' }),
  to: instant.optional().openapi({ param: { name: 'to', in: 'query' }, description: 'Until (exclusive)' }),
};

const refineRange = <T extends { from?: Date | undefined; to?: Date | undefined }>(v: T, ctx: z.RefinementCtx) => {
  if (v.from && v.to && v.from >= v.to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
};

export const AccessLogListQuerySchema = z
  .strictObject({
    ...AccessLogFilterShape,
    limit: z.coerce
      .number({ message: 'must be 1–500' })
      .int('must be 1–500')
      .min(1, 'must be 1–500')
      .max(500, 'must be 1–500')
      .default(100)
      .openapi({ param: { name: 'limit', in: 'query' } }),
    before: z.coerce
      .number({ message: 'must be an entry id' })
      .int('must be an entry id')
      .min(1, 'must be an entry id')
      .max(Number.MAX_SAFE_INTEGER, 'must be an entry id')
      .optional()
      .openapi({
        param: { name: 'before', in: 'query' },
        description: 'Entries older than this id (the `next_before` of the previous page)',
      }),
  })
  .superRefine(refineRange);
export type AccessLogListQuery = z.infer<typeof AccessLogListQuerySchema>;

export const AccessLogExportQuerySchema = z
  .strictObject({
    ...AccessLogFilterShape,
    format: z
      .enum(['csv', 'json'], { message: 'must be csv or json' })
      .default('json')
      .openapi({ param: { name: 'format', in: 'query' } }),
    limit: z.coerce
      .number({ message: 'must be 1–100000' })
      .int('must be 1–100000')
      .min(1, 'must be 1–100000')
      .max(100_000, 'must be 1–100000')
      .default(10_000)
      .openapi({ param: { name: 'limit', in: 'query' } }),
  })
  .superRefine(refineRange);
export type AccessLogExportQuery = z.infer<typeof AccessLogExportQuerySchema>;

export const AccessLogStreamQuerySchema = z.strictObject(AccessLogFilterShape).superRefine(refineRange);
export type AccessLogFilter = z.infer<typeof AccessLogStreamQuerySchema>;

export const AccessLogEntrySchema = z
  .object({
    id: z.number().int(),
    at: z.string().openapi({ example: '2026-11-21T12:00:00.000Z' }),
    route_id: z.number().int().nullable(),
    kind: z.enum(['http', 'tcp', 'udp']),
    client: z.string(),
    country: z.string().nullable(),
    asn: z.string().nullable(),
    peer_id: z.number().int().nullable(),
    user: z.string().nullable(),
    decision: z.enum(['allow', 'deny']),
    check: z.string().nullable(),
    rule: z.string().nullable(),
    host: z.string().nullable(),
    method: z.string().nullable(),
    path: z.string().nullable(),
    status: z.number().int().nullable(),
    bytes_in: z.number().int(),
    bytes_out: z.number().int(),
    duration_ms: z.number(),
  })
  .openapi('AccessLogEntry');
export type AccessLogEntry = z.infer<typeof AccessLogEntrySchema>;

export const AccessLogPageSchema = z
  .object({
    data: z.array(AccessLogEntrySchema),
    next_before: z.number().int().nullable().openapi({ description: 'Pass as `before` for the next (older) page' }),
  })
  .openapi('AccessLogPage');
