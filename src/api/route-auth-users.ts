import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, IdParamSchema } from '../schemas/common.ts';
import {
  AuthUserParamsSchema,
  AuthUserSchema,
  CreateAuthUserSchema,
  CreatedAuthUserSchema,
  UpdateAuthUserSchema,
} from '../schemas/route-auth.ts';
import { createAuthUser } from '../services/route-auth/create-user.ts';
import { listAuthUsers } from '../services/route-auth/list-users.ts';
import { removeAuthUser } from '../services/route-auth/remove-user.ts';
import { rotateAuthUserTotp, setAuthUserPassword } from '../services/route-auth/update-user.ts';
import { newApiRouter } from './openapi.ts';

const security = [{ bearer: [] }];
const json = <T>(schema: T) => ({ 'application/json': { schema } });
const tags = ['route auth'];

/** `/api/v1/routes/{id}/auth-users`: the people who may log in to a route with auth. */
export function routeAuthUsersApi() {
  const app = newApiRouter();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/auth-users',
      operationId: 'listRouteAuthUsers',
      tags,
      summary: "List a route's auth users (no secrets)",
      security,
      request: { params: IdParamSchema },
      responses: {
        200: { description: 'Users', content: json(z.object({ data: z.array(AuthUserSchema) })) },
        ...errorResponses(401, 403, 404, 422),
      },
    }),
    async (c) => c.json(await listAuthUsers({ ctx: c.get('ctx'), input: { routeId: c.req.valid('param').id } }), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/auth-users',
      operationId: 'createRouteAuthUser',
      tags,
      summary: 'Add a user; the TOTP secret, otpauth URI and QR code are in this response only',
      security,
      request: { params: IdParamSchema, body: { content: json(CreateAuthUserSchema), required: true } },
      responses: {
        201: { description: 'Created', content: json(CreatedAuthUserSchema) },
        ...errorResponses(401, 403, 404, 409, 422),
      },
    }),
    async (c) =>
      c.json(
        await createAuthUser({
          ctx: c.get('ctx'),
          input: { routeId: c.req.valid('param').id, ...c.req.valid('json') },
        }),
        201,
      ),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/{id}/auth-users/{user_id}',
      operationId: 'setRouteAuthUserPassword',
      tags,
      summary: "Set a user's password (their sessions end)",
      security,
      request: { params: AuthUserParamsSchema, body: { content: json(UpdateAuthUserSchema), required: true } },
      responses: {
        200: { description: 'Updated', content: json(AuthUserSchema) },
        ...errorResponses(401, 403, 404, 422),
      },
    }),
    async (c) => {
      const { id, user_id } = c.req.valid('param');
      return c.json(
        await setAuthUserPassword({
          ctx: c.get('ctx'),
          input: { routeId: id, userId: user_id, ...c.req.valid('json') },
        }),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/auth-users/{user_id}/totp',
      operationId: 'enrollRouteAuthUserTotp',
      tags,
      summary: 'Enroll a new TOTP secret (shown once; the old one and the sessions end)',
      security,
      request: { params: AuthUserParamsSchema },
      responses: {
        200: { description: 'Re-enrolled', content: json(CreatedAuthUserSchema) },
        ...errorResponses(401, 403, 404, 422),
      },
    }),
    async (c) => {
      const { id, user_id } = c.req.valid('param');
      return c.json(await rotateAuthUserTotp({ ctx: c.get('ctx'), input: { routeId: id, userId: user_id } }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}/auth-users/{user_id}',
      operationId: 'deleteRouteAuthUser',
      tags,
      summary: 'Delete a user (refused when it is the last way into a route with auth)',
      security,
      request: { params: AuthUserParamsSchema },
      responses: {
        200: { description: 'Deleted', content: json(z.object({ deleted: z.boolean() })) },
        ...errorResponses(401, 403, 404, 409),
      },
    }),
    async (c) => {
      const { id, user_id } = c.req.valid('param');
      return c.json(await removeAuthUser({ ctx: c.get('ctx'), input: { routeId: id, userId: user_id } }), 200);
    },
  );

  return app;
}
