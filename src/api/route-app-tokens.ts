import { createRoute, z } from '@hono/zod-openapi';
import { AppTokenSchema, CreateAppTokenSchema, CreatedAppTokenSchema } from '../schemas/app-tokens.ts';
import { errorResponses, IdParamSchema } from '../schemas/common.ts';
import { createAppToken, listAppTokens, revokeAppToken } from '../services/route-auth/app-tokens.ts';
import { newApiRouter } from './openapi.ts';

const security = [{ bearer: [] }];
const tags = ['route auth'];
const TokenParams = IdParamSchema.extend({
  token_id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: 'token_id', in: 'path' }, example: 1 }),
});

/** App tokens of a route with a login: for apps and scripts; per header, optionally per path prefix. */
export function routeAppTokensApi() {
  const app = newApiRouter();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/app-tokens',
      operationId: 'listAppTokens',
      tags,
      summary: "List a route's app tokens (the secrets are never shown again)",
      security,
      request: { params: IdParamSchema },
      responses: {
        200: {
          description: 'App tokens',
          content: { 'application/json': { schema: z.object({ data: z.array(AppTokenSchema) }) } },
        },
        ...errorResponses(401, 403, 404),
      },
    }),
    async (c) => c.json({ data: await listAppTokens({ ctx: c.get('ctx'), routeId: c.req.valid('param').id }) }, 200),
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/app-tokens',
      operationId: 'createAppToken',
      tags,
      summary:
        'Create an app token that replaces the route login in its header (the rest of the policy still applies); the secret is in this response only',
      security,
      request: {
        params: IdParamSchema,
        body: { content: { 'application/json': { schema: CreateAppTokenSchema } }, required: true },
      },
      responses: {
        201: { description: 'Created', content: { 'application/json': { schema: CreatedAppTokenSchema } } },
        ...errorResponses(401, 403, 404, 409, 422),
      },
    }),
    async (c) =>
      c.json(
        await createAppToken({ ctx: c.get('ctx'), routeId: c.req.valid('param').id, input: c.req.valid('json') }),
        201,
      ),
  );
  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}/app-tokens/{token_id}',
      operationId: 'revokeAppToken',
      tags,
      summary: 'Revoke an app token (it stops working at once)',
      security,
      request: { params: TokenParams },
      responses: {
        200: { description: 'Revoked', content: { 'application/json': { schema: AppTokenSchema } } },
        ...errorResponses(401, 403, 404),
      },
    }),
    async (c) => {
      const { id, token_id } = c.req.valid('param');
      return c.json(await revokeAppToken({ ctx: c.get('ctx'), routeId: id, tokenId: token_id }), 200);
    },
  );
  return app;
}
