import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses } from '../schemas/common.ts';
import { configAgreement } from '../services/config/agreement.ts';
import { newApiRouter } from './openapi.ts';

const AgreementSchema = z
  .object({
    agrees: z.boolean().openapi({ description: 'Caddy and every gateway agent run what the database compiles to' }),
    database: z.object({
      version: z.number().int(),
      hash: z.string().openapi({ description: 'SHA-256 of the snapshot the database compiles to' }),
    }),
    caddy: z.object({
      reachable: z.boolean(),
      version: z.number().int().nullable(),
      hash: z.string().nullable().openapi({ description: 'SHA-256 of the snapshot the module has applied' }),
      applied_at: z.string().nullable(),
      agrees: z.boolean(),
    }),
    agents: z.array(
      z.object({
        gateway_id: z.number().int(),
        name: z.string(),
        applied_version: z.number().int().nullable().openapi({ description: "From the agent's last status report" }),
        last_seen_at: z.string().nullable(),
        agrees: z.boolean(),
      }),
    ),
  })
  .openapi('ConfigAgreement');

/** `/api/v1/status`: whether the data plane and the agents agree with the database. */
export function statusApi() {
  const app = newApiRouter();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/agreement',
      operationId: 'getConfigAgreement',
      tags: ['status'],
      summary: 'Database = Caddy = agents: config version and snapshot hash on each side',
      security: [{ bearer: [] }],
      responses: {
        200: { description: 'Agreement', content: { 'application/json': { schema: AgreementSchema } } },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => c.json(await configAgreement({ ctx: c.get('ctx') }), 200),
  );
  return app;
}
