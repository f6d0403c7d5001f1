import { createRoute } from '@hono/zod-openapi';
import { AuditPageSchema, AuditQuerySchema } from '../schemas/audit.ts';
import { errorResponses } from '../schemas/common.ts';
import { queryAudit } from '../services/audit/list.ts';
import { newApiRouter } from './openapi.ts';

/**
 * `GET /api/v1/audit`: who changed what and when, with each change's before/after and the fields that differ.
 * Admin scope: entries name client addresses and every account's actions.
 */
export function auditApi() {
  const app = newApiRouter();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listAudit',
      tags: ['audit'],
      summary: 'The audit log, newest first: filter by resource, actor, action and time; secrets are never included',
      security: [{ bearer: [] }],
      request: { query: AuditQuerySchema },
      responses: {
        200: { description: 'Audit entries', content: { 'application/json': { schema: AuditPageSchema } } },
        ...errorResponses(401, 403, 422),
      },
    }),
    async (c) => c.json(await queryAudit({ ctx: c.get('ctx'), input: c.req.valid('query') }), 200),
  );
  return app;
}
