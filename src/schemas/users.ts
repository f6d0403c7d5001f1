import { z } from '@hono/zod-openapi';
import { ADMIN_ROLES } from '../auth/roles.ts';
import { Timestamp } from './common.ts';

/** Admin user names: ASCII letters, digits and `._@-`, stored lower-case; unique without regard to case. */
export const UsernameSchema = z
  .string()
  .max(200, 'must be at most 64 characters')
  .transform((v) => v.trim().toLowerCase())
  .pipe(
    z
      .string()
      .min(1, 'is required')
      .max(64, 'must be at most 64 characters')
      .regex(/^[a-z0-9][a-z0-9._@-]*$/, 'must be ASCII letters, digits or ._@- and start with a letter or digit'),
  )
  .openapi({ type: 'string', example: 'alice', description: '1–64 of a-z 0-9 . _ @ - (stored lower-case)' });

/** An optional contact address, lower-cased; international domains in their ASCII (punycode) form. */
export const EmailSchema = z
  .string()
  .max(320, 'must be at most 254 characters')
  .transform((v) => v.trim().toLowerCase())
  .pipe(
    z
      .string()
      .max(254, 'must be at most 254 characters')
      .regex(
        /^[a-z0-9._%+-]{1,64}@[a-z0-9-]+(\.[a-z0-9-]+)+$/,
        'must be an e-mail address in ASCII (international domains as punycode, xn--…)',
      ),
  )
  .openapi({ type: 'string', example: 'alice@example.com' });

export const AdminRoleSchema = z.enum(ADMIN_ROLES, { message: `must be one of ${ADMIN_ROLES.join(', ')}` }).openapi({
  description:
    'owner: everything (at least one enabled owner remains); admin: everything but owners; operator: peers, routes, gateways, policies; viewer: read-only',
});

export const InviteUserSchema = z
  .strictObject({
    username: UsernameSchema,
    role: AdminRoleSchema,
    email: EmailSchema.nullable().optional(),
    expires_in_hours: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be 1–168')
      .max(168, 'must be 1–168')
      .default(72)
      .openapi({ description: 'How long the invite link works (default 72 h)' }),
  })
  .openapi('InviteUser');

export const UpdateUserSchema = z
  .strictObject({
    role: AdminRoleSchema.optional(),
    email: EmailSchema.nullable().optional(),
    disabled: z.boolean().optional().openapi({ description: 'true ends their sessions and stops their tokens' }),
  })
  .refine((v) => Object.keys(v).length > 0, 'give at least one of role, email, disabled')
  .openapi('UpdateUser');

/** Invite tokens are 43 base64url characters; anything else is refused before a lookup. */
export const InviteTokenSchema = z
  .string()
  .max(200, 'is not an invite token')
  .regex(/^[A-Za-z0-9_-]{43}$/, 'is not an invite token');

export const AcceptInviteSchema = z
  .strictObject({
    token: InviteTokenSchema,
    password: z.string().max(1024).openapi({ description: 'At least 12 characters, no control characters' }),
  })
  .openapi('AcceptInvite');

export const UserSchema = z
  .object({
    id: z.number().int(),
    username: z.string(),
    role: AdminRoleSchema,
    email: z.string().nullable(),
    status: z.enum(['active', 'invited', 'disabled']),
    totp_enabled: z.boolean(),
    passkeys: z.number().int(),
    created_at: Timestamp,
    disabled_at: Timestamp.nullable(),
  })
  .openapi('User');

export const InvitedUserSchema = UserSchema.extend({
  invite_url: z.string().openapi({ description: 'The one-time link; shown once. Give it to the invitee.' }),
  invite_expires_at: Timestamp,
}).openapi('InvitedUser');

export type InviteUserInput = z.infer<typeof InviteUserSchema>;
export type UpdateUserInput = z.infer<typeof UpdateUserSchema>;
export type PublicUser = z.infer<typeof UserSchema>;
