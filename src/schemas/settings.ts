import { z } from '@hono/zod-openapi';
import { WG_ENDPOINT_MAX_LENGTH, wgEndpointProblem } from '../config/wg-endpoint.ts';
import { AlertSettingsSchema } from './alerts.ts';

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
    alerts: AlertSettingsSchema.optional().openapi({
      description: 'Alert thresholds; the fields given replace the stored ones, the others keep their value',
    }),
    access_log_retention_days: z
      .number({ message: 'must be a whole number of days' })
      .int('must be a whole number of days')
      .min(1, 'must be between 1 and 3650 days')
      .max(3650, 'must be between 1 and 3650 days')
      .optional()
      .openapi({ description: 'Access log entries older than this are deleted (default 30)' }),
    access_log_max_entries: z
      .number({ message: 'must be a whole number' })
      .int('must be a whole number')
      .min(1000, 'must be between 1000 and 100000000')
      .max(100_000_000, 'must be between 1000 and 100000000')
      .optional()
      .openapi({
        description: 'At most this many access log entries are kept, the oldest deleted first (default 1000000)',
      }),
    backup_interval_hours: z
      .number()
      .int('must be a whole number of hours')
      .min(0, 'must be 0 (off) to 168')
      .max(168, 'must be 0 (off) to 168')
      .optional()
      .openapi({ description: 'Scheduled backups into the data dir every N hours; 0 (default) turns them off' }),
    backup_keep: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be 1–365')
      .max(365, 'must be 1–365')
      .optional()
      .openapi({ description: 'How many scheduled backups are kept (default 7)' }),
  })
  .refine((v) => Object.keys(v).length > 0, 'give at least one setting to change')
  .openapi('UpdateSettings');

export type UpdateSettingsInput = z.infer<typeof UpdateSettingsSchema>;
