import { z } from '@hono/zod-openapi';
import { ADMIN_ROLES } from '../auth/roles.ts';
import { NameSchema, Timestamp } from './common.ts';

// RFC 6749 §3.3: a scope token is printable ASCII without space, `"` or `\`.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/;
const CLAIM_NAME = /^[A-Za-z0-9_.:/-]{1,100}$/;
const CONTROL = /[\p{Cc}\p{Cf}]/u;

/** The issuer exactly as the provider names it (compared byte for byte with its discovery document). */
const IssuerSchema = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(500, 'must be at most 500 characters')
  .refine((v) => URL.canParse(v), 'must be a URL, e.g. https://login.example.com/realms/main')
  .refine((v) => !CONTROL.test(v), 'must not contain control characters')
  .openapi({ example: 'https://login.example.com/realms/main' });

/** Space-separated scopes; normalised to unique tokens in their order, `openid` always first. */
const ScopesSchema = z
  .string()
  .max(1000, 'must be at most 1000 characters')
  .transform((v, ctx) => {
    const tokens = v.split(/\s+/).filter(Boolean);
    const bad = tokens.find((t) => !SCOPE_TOKEN.test(t));
    if (bad !== undefined || tokens.length > 20) {
      ctx.addIssue({
        code: 'custom',
        message: bad !== undefined ? `scope ${JSON.stringify(bad.slice(0, 40))} is not valid` : 'at most 20 scopes',
      });
      return z.NEVER;
    }
    return [...new Set(['openid', ...tokens])].join(' ');
  })
  .openapi({ example: 'openid email profile groups' });

const ClaimNameSchema = z
  .string()
  .trim()
  .regex(CLAIM_NAME, 'must be a claim name (letters, digits and _.:/-, at most 100)');

export const GroupRoleSchema = z.strictObject({
  group: z
    .string()
    .trim()
    .min(1, 'is required')
    .max(200, 'must be at most 200 characters')
    .refine((v) => !CONTROL.test(v), 'must not contain control characters'),
  role: z.enum(ADMIN_ROLES),
});

const ClientIdSchema = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(255, 'must be at most 255 characters')
  .refine((v) => !CONTROL.test(v), 'must not contain control characters');
const ClientSecretSchema = z
  .string()
  .min(1, 'is required')
  .max(1000, 'must be at most 1000 characters')
  .refine((v) => !CONTROL.test(v), 'must not contain control characters');

const fields = {
  name: NameSchema,
  issuer: IssuerSchema,
  client_id: ClientIdSchema,
  client_secret: ClientSecretSchema.openapi({ description: 'Stored encrypted; never returned' }),
  scopes: ScopesSchema.default('openid email profile'),
  email_claim: ClaimNameSchema.default('email'),
  groups_claim: ClaimNameSchema.default('groups'),
  group_roles: z.array(GroupRoleSchema).max(200, 'at most 200 mappings').default([]).openapi({
    description: "Groups → roles; the user gets the highest role among their groups' mappings; none → refused",
  }),
  for_dashboard: z.boolean().default(true),
  for_routes: z.boolean().default(false),
};

export const CreateIdentityProviderSchema = z.strictObject(fields).openapi('CreateIdentityProvider');

/** Absent fields keep their value; `client_secret` absent keeps the stored secret. */
export const UpdateIdentityProviderSchema = z
  .strictObject({
    name: fields.name.optional(),
    issuer: fields.issuer.optional(),
    client_id: fields.client_id.optional(),
    client_secret: fields.client_secret.optional(),
    scopes: ScopesSchema.optional(),
    email_claim: ClaimNameSchema.optional(),
    groups_claim: ClaimNameSchema.optional(),
    group_roles: z.array(GroupRoleSchema).max(200, 'at most 200 mappings').optional(),
    for_dashboard: z.boolean().optional(),
    for_routes: z.boolean().optional(),
  })
  .openapi('UpdateIdentityProvider');

export const IdentityProviderSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    issuer: z.string(),
    client_id: z.string(),
    scopes: z.string(),
    email_claim: z.string(),
    groups_claim: z.string(),
    group_roles: z.array(z.object({ group: z.string(), role: z.enum(ADMIN_ROLES) })),
    for_dashboard: z.boolean(),
    for_routes: z.boolean(),
    callback_url: z.string().openapi({ description: 'Register this redirect URI at the provider' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi('IdentityProvider');

export type CreateIdentityProviderInput = z.infer<typeof CreateIdentityProviderSchema>;
export type UpdateIdentityProviderInput = z.infer<typeof UpdateIdentityProviderSchema>;
export type PublicIdentityProvider = z.infer<typeof IdentityProviderSchema>;
