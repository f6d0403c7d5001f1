import { z } from '@hono/zod-openapi';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'validation_failed' }),
      message: z.string(),
      request_id: z.string().optional(),
      fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi('Error');

export const IdParamSchema = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: 'id', in: 'path' }, example: 1 }),
});

/** ISO-8601 timestamps on the wire. */
export const Timestamp = z.string().datetime().openapi({ example: '2026-11-21T12:00:00.000Z' });

export function errorResponses(...statuses: (400 | 401 | 403 | 404 | 409 | 422 | 429 | 503)[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: errorDescriptions[status], content: { 'application/json': { schema: ErrorSchema } } },
    ]),
  );
}

const errorDescriptions: Record<number, string> = {
  400: 'Malformed request',
  401: 'Missing, invalid, expired or revoked credentials',
  403: 'The credentials lack the scope for this call',
  404: 'No such resource',
  409: 'Conflicts with the current state',
  422: 'Validation failed; `fields` names each field and why',
  429: 'Too many requests; see Retry-After',
  503: 'A dependency is unavailable, or the database is busy (`database_busy`) or its disk full (`storage_full`); see Retry-After',
};

/** Every list endpoint pages the same way: `?limit=&offset=` in, `{ data, pagination }` out. */
export const PaginationQuery = {
  limit: z.coerce
    .number()
    .int()
    .min(1, 'must be 1–500')
    .max(500, 'must be 1–500')
    .default(50)
    .openapi({ param: { name: 'limit', in: 'query' } }),
  offset: z.coerce
    .number()
    .int()
    .min(0, 'must be 0 or more')
    .default(0)
    .openapi({ param: { name: 'offset', in: 'query' } }),
};

export const PaginationSchema = z
  .object({ total: z.number().int(), limit: z.number().int(), offset: z.number().int() })
  .openapi('Pagination');

/** A peer's or a gateway's display name: letters of any script, digits, spaces and a little punctuation. */
const NAME_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} ._@'-]*$/u;
export const NameSchema = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(64, 'must be at most 64 characters')
  .regex(NAME_PATTERN, "may contain letters, digits, spaces and ._@'- and must start with a letter or digit")
  // The generator writes the regex with its JavaScript `/u` suffix, which no JSON Schema validator can match.
  // The bare source is an ECMA-262 pattern; JSON Schema validators compile `pattern` in unicode mode, where
  // \p{L} and \p{N} mean the same as here (test/integration/openapi-document.test.ts).
  .openapi({ pattern: NAME_PATTERN.source });
