import { createRoute, z } from '@hono/zod-openapi';
import { AlertSettingsSchema } from '../schemas/alerts.ts';
import { errorResponses } from '../schemas/common.ts';
import { UpdateSettingsSchema } from '../schemas/settings.ts';
import { getSettings } from '../services/settings/get.ts';
import { updateRuntimeSettings } from '../services/settings/runtime.ts';
import { newApiRouter } from './openapi.ts';

const SettingsSchema = z
  .object({
    api_docs_public: z
      .boolean()
      .openapi({ description: 'The API reference (/api/v1/docs, /api/v1/openapi.json) is public; default false' }),
    sso_only: z.boolean().openapi({
      description:
        'Admins log in through an identity provider only (passwords off but for GATEHOUSE_BREAK_GLASS_OWNER)',
    }),
    geoip: z.object({
      path: z.string().nullable(),
      source: z.string(),
      loaded: z
        .record(z.string(), z.unknown())
        .nullable()
        .openapi({ description: "The data plane's view: path, sha256, build_time, database_type" }),
      env: z.string(),
    }),
    l4: z.object({
      blocked_ports: z.array(z.number()),
      max_port_range: z.number(),
      listen_host: z.string().nullable(),
      env: z.array(z.string()),
    }),
    gateway_forward_ports: z.string(),
    alerts: AlertSettingsSchema.required().openapi({ description: 'Alert thresholds in effect' }),
    backup_interval_hours: z.number().openapi({ description: 'Scheduled backups every N hours; 0: off' }),
    backup_keep: z.number().openapi({ description: 'Scheduled backups kept' }),
    public_domain: z.string().nullable(),
    wg_endpoint: z.string().nullable().openapi({
      description: 'The stored endpoint setting (host or host:port); GATEHOUSE_WG_ENDPOINT overrides it',
    }),
    wireguard_endpoint: z
      .object({
        effective: z.string().nullable().openapi({ description: 'host:port in client configs; null: unknown' }),
        source: z.enum(['environment', 'setting', 'public_domain']).nullable(),
        setting: z.string().nullable(),
        env: z.string(),
      })
      .openapi({
        description:
          'Where clients connect: GATEHOUSE_WG_ENDPOINT, else the wg_endpoint setting, else GATEHOUSE_PUBLIC_DOMAIN',
      }),
    tls_issuer: z.string(),
    access_log_retention_days: z.number().openapi({ description: 'Access log entries older than this are deleted' }),
    access_log_max_entries: z.number().openapi({ description: 'At most this many access log entries are kept' }),
  })
  .openapi('Settings');

export function settingsApi() {
  const app = newApiRouter();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'getSettings',
      tags: ['settings'],
      summary: 'GeoIP database in use (with its build date) and the L4 port rules',
      security: [{ bearer: [] }],
      responses: {
        200: { description: 'Settings', content: { 'application/json': { schema: SettingsSchema } } },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => c.json(await getSettings({ ctx: c.get('ctx') }), 200),
  );
  app.openapi(
    createRoute({
      method: 'patch',
      path: '/',
      operationId: 'updateSettings',
      tags: ['settings'],
      summary: 'Change the run-time settings (absent fields keep their value); the rest come from the environment',
      security: [{ bearer: [] }],
      request: {
        body: { content: { 'application/json': { schema: UpdateSettingsSchema } }, required: true },
      },
      responses: {
        200: { description: 'Settings after the change', content: { 'application/json': { schema: SettingsSchema } } },
        ...errorResponses(401, 403, 422),
      },
    }),
    async (c) => {
      const ctx = c.get('ctx');
      await updateRuntimeSettings({ ctx, input: c.req.valid('json') });
      return c.json(await getSettings({ ctx }), 200);
    },
  );
  return app;
}
