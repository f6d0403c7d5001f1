import { z } from '@hono/zod-openapi';
import { TOKEN_SCOPES } from '../db/schema/api-tokens.ts';
import { Timestamp } from './common.ts';

export const TokenScopeSchema = z.enum(TOKEN_SCOPES).openapi({
  description: 'read: GET only; write: read + changes; admin: write + tokens and settings',
});

export const CreateTokenSchema = z
  .strictObject({
    name: z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters'),
    scope: TokenScopeSchema.default('read'),
    expires_at: z
      .string()
      .datetime({ message: 'must be an ISO-8601 date-time, e.g. 2027-01-01T00:00:00Z' })
      .refine((v) => Date.parse(v) > Date.now(), 'must be in the future')
      .nullable()
      .optional(),
  })
  .openapi('CreateToken');

export const TokenSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    prefix: z.string().openapi({ example: 'gth_Ab12Cd' }),
    scope: TokenScopeSchema,
    expires_at: Timestamp.nullable(),
    last_used_at: Timestamp.nullable(),
    created_at: Timestamp,
    revoked_at: Timestamp.nullable(),
  })
  .openapi('Token');

export const CreatedTokenSchema = TokenSchema.extend({
  token: z.string().openapi({ description: 'The secret. Shown once; store it now.' }),
}).openapi('CreatedToken');

export type CreateTokenInput = z.infer<typeof CreateTokenSchema>;
export type PublicToken = z.infer<typeof TokenSchema>;
