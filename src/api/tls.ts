import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses } from '../schemas/common.ts';
import { getRootCertificate } from '../services/settings/root-certificate.ts';
import { newApiRouter } from './openapi.ts';

export function tlsApi() {
  const app = newApiRouter();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/root-certificate',
      operationId: 'getRootCertificate',
      tags: ['settings'],
      summary: "The internal issuer's root certificate (PEM), to install on clients; 404 with the ACME issuer",
      security: [{ bearer: [] }],
      responses: {
        200: {
          description: 'Root certificate',
          content: { 'application/x-pem-file': { schema: z.string().openapi({ format: 'binary' }) } },
        },
        ...errorResponses(401, 403, 404),
      },
    }),
    async (c) => {
      const pem = await getRootCertificate({ ctx: c.get('ctx') });
      return c.body(pem, 200, {
        'Content-Type': 'application/x-pem-file',
        'Content-Disposition': 'attachment; filename="gatehouse-root-ca.crt"',
      });
    },
  );
  return app;
}
