import { z } from '@hono/zod-openapi';
import { Timestamp } from './common.ts';

const CONTROL = /[\p{Cc}\p{Cf}]/u;
/** At most 30 days: a share link is for a guest, not a standing account. */
export const SHARE_LINK_MAX_HOURS = 30 * 24;

export const CreateShareLinkSchema = z
  .strictObject({
    name: z
      .string()
      .trim()
      .min(1, 'is required')
      .max(100, 'must be at most 100 characters')
      .refine((v) => !CONTROL.test(v), 'must not contain control characters')
      .openapi({ example: 'for the plumber' }),
    expires_in_hours: z
      .number({ message: 'must be a number of hours' })
      .int('must be a whole number of hours')
      .min(1, 'must be at least 1')
      .max(SHARE_LINK_MAX_HOURS, `must be at most ${SHARE_LINK_MAX_HOURS} (30 days)`),
    max_uses: z
      .number({ message: 'must be a number or null' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(10_000, 'must be at most 10000')
      .nullable()
      .default(null)
      .openapi({ description: 'How many times the link may open a session; null: until it expires' }),
  })
  .openapi('CreateShareLink');

export const ShareLinkSchema = z
  .object({
    id: z.number().int(),
    route_id: z.number().int(),
    name: z.string(),
    prefix: z.string(),
    expires_at: Timestamp,
    max_uses: z.number().int().nullable(),
    uses: z.number().int(),
    status: z.enum(['active', 'expired', 'used_up', 'revoked']),
    created_at: Timestamp,
    revoked_at: Timestamp.nullable(),
  })
  .openapi('ShareLink');

export const CreatedShareLinkSchema = ShareLinkSchema.extend({
  url: z.string().openapi({ description: 'The link. Shown once; it is not stored.' }),
}).openapi('CreatedShareLink');

export type CreateShareLinkInput = z.infer<typeof CreateShareLinkSchema>;
export type PublicShareLink = z.infer<typeof ShareLinkSchema>;
