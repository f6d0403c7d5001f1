import { z } from '@hono/zod-openapi';
import { WG_ENDPOINT_MAX_LENGTH, wgEndpointProblem } from '../config/wg-endpoint.ts';

/** host or host:port for client configs; lower-cased, checked by the same rule as GATEHOUSE_WG_ENDPOINT. */
const WgEndpointSetting = z
  .string({ message: 'must be a string (host or host:port) or null' })
  .max(WG_ENDPOINT_MAX_LENGTH + 8, `must be at most ${WG_ENDPOINT_MAX_LENGTH} characters`)
  .trim()
  .toLowerCase()
  .superRefine((v, ctx) => {
    const problem = wgEndpointProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .nullable();

/** The settings an admin changes at run time (stored in the `settings` table); the rest come from the environment. */
export const UpdateSettingsSchema = z
  .strictObject({
    api_docs_public: z.boolean({ message: 'must be true or false' }).optional().openapi({
      description: 'true: /api/v1/docs and /api/v1/openapi.json are public; false (default): they need a login',
    }),
    sso_only: z.boolean({ message: 'must be true or false' }).optional().openapi({
      description:
        'true: admins log in through an identity provider only; passwords are refused except for the break-glass owner (GATEHOUSE_BREAK_GLASS_OWNER)',
    }),
    wg_endpoint: WgEndpointSetting.optional().openapi({
      description:
        'Where WireGuard clients connect: host or host:port (default port GATEHOUSE_WG_PORT). Used by every config generated afterwards; null clears it. Refused while GATEHOUSE_WG_ENDPOINT is set.',
      example: 'vpn.example.com',
    }),
  })
  .refine((v) => Object.keys(v).length > 0, 'give at least one setting to change')
  .openapi('UpdateSettings');

export type UpdateSettingsInput = z.infer<typeof UpdateSettingsSchema>;
