import { z } from '@hono/zod-openapi';
import { Timestamp } from './common.ts';

/** Usernames end up in the `Remote-User` header: a conservative alphabet, no spaces or line breaks. */
export const AuthUsernameSchema = z.string().regex(/^[a-zA-Z0-9._@-]{1,64}$/, 'must be 1–64 letters, digits or ._@-');
const AuthPassword = z.string().min(8, 'must be at least 8 characters').max(1024);

export const CreateAuthUserSchema = z
  .strictObject({ username: AuthUsernameSchema, password: AuthPassword })
  .openapi('CreateRouteAuthUser');
export const UpdateAuthUserSchema = z.strictObject({ password: AuthPassword }).openapi('UpdateRouteAuthUser');

export const AuthUserSchema = z
  .object({
    id: z.number().int(),
    route_id: z.number().int(),
    username: z.string(),
    totp_enrolled: z.boolean(),
    created_at: Timestamp,
    updated_at: Timestamp,
    last_login_at: Timestamp.nullable(),
  })
  .openapi('RouteAuthUser');
export type PublicAuthUser = z.infer<typeof AuthUserSchema>;

export const TotpEnrollmentSchema = z
  .object({
    secret: z.string().openapi({ description: 'Base32; shown in this response only' }),
    otpauth_uri: z.string(),
    qr_svg: z.string().openapi({ description: 'The otpauth URI as a QR code (SVG)' }),
  })
  .openapi('TotpEnrollment');

export const CreatedAuthUserSchema = AuthUserSchema.extend({ totp: TotpEnrollmentSchema }).openapi(
  'CreatedRouteAuthUser',
);

export const AuthUserParamsSchema = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: 'id', in: 'path' }, example: 1 }),
  user_id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: 'user_id', in: 'path' }, example: 1 }),
});
