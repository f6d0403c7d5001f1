import { createRoute, z } from '@hono/zod-openapi';
import { requireScope } from '../http/middleware.ts';
import { errorResponses } from '../schemas/common.ts';
import { getSettings } from '../services/settings/get.ts';
import { newApiRouter } from './openapi.ts';

const SettingsSchema = z
  .object({
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
    public_domain: z.string().nullable(),
    tls_issuer: z.string(),
  })
  .openapi('Settings');

export function settingsApi() {
  const app = newApiRouter();
  app.use('*', requireScope('admin'));
  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
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
  return app;
}
