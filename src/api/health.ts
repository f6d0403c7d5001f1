import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../http/types.ts';
import { errorResponses } from '../schemas/common.ts';
import { newApiRouter } from './openapi.ts';

const HealthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    db: z.object({ state: z.string(), error: z.string().optional() }),
    caddy: z.object({ state: z.string() }).passthrough(),
    wireguard: z.object({ state: z.string() }).passthrough(),
    config: z
      .object({ version: z.number().int(), applied_version: z.number().int().nullable(), pending: z.boolean() })
      .optional(),
  })
  .openapi('Health');

/**
 * `GET /api/v1/health`: the health details (database, Caddy's process, WireGuard, config versions). They name
 * paths, process ids and versions, so they need a login; the public `/healthz` (src/app.ts) says up or down only.
 */
export function healthApi(deps: AppDeps) {
  const app = newApiRouter();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'getHealth',
      tags: ['health'],
      summary: 'Health details: database, Caddy, WireGuard and the config version the data plane applied',
      security: [{ bearer: [] }],
      responses: {
        200: { description: 'Healthy', content: { 'application/json': { schema: HealthSchema } } },
        503: { description: 'Degraded', content: { 'application/json': { schema: HealthSchema } } },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => {
      const report = await deps.health();
      return report.status === 'ok' ? c.json(report, 200) : c.json(report, 503);
    },
  );
  return app;
}
