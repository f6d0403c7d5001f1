import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, IdParamSchema } from '../schemas/common.ts';
import { CreatedTokenSchema, CreateTokenSchema, TokenSchema } from '../schemas/tokens.ts';
import { createToken } from '../services/tokens/create.ts';
import { listTokens } from '../services/tokens/list.ts';
import { revokeToken } from '../services/tokens/revoke.ts';
import { newApiRouter } from './openapi.ts';

const security = [{ bearer: [] }];

export function tokensApi() {
  const app = newApiRouter();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listTokens',
      tags: ['tokens'],
      summary: 'List API tokens (secrets are never returned)',
      security,
      responses: {
        200: {
          description: 'Tokens',
          content: { 'application/json': { schema: z.object({ data: z.array(TokenSchema) }) } },
        },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => c.json({ data: await listTokens({ ctx: c.get('ctx') }) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      operationId: 'createToken',
      tags: ['tokens'],
      summary: 'Create an API token; the secret is in this response only',
      security,
      request: { body: { content: { 'application/json': { schema: CreateTokenSchema } }, required: true } },
      responses: {
        201: { description: 'Created', content: { 'application/json': { schema: CreatedTokenSchema } } },
        ...errorResponses(401, 403, 422),
      },
    }),
    async (c) => c.json(await createToken({ ctx: c.get('ctx'), input: c.req.valid('json') }), 201),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      operationId: 'revokeToken',
      tags: ['tokens'],
      summary: 'Revoke a token (it stops working at once)',
      security,
      request: { params: IdParamSchema },
      responses: {
        200: { description: 'Revoked', content: { 'application/json': { schema: TokenSchema } } },
        ...errorResponses(401, 403, 404),
      },
    }),
    async (c) => c.json(await revokeToken({ ctx: c.get('ctx'), input: { id: c.req.valid('param').id } }), 200),
  );

  return app;
}
