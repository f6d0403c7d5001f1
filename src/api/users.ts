import { createRoute, z } from '@hono/zod-openapi';
import { dashboardOrigin } from '../http/origin.ts';
import type { AppDeps } from '../http/types.ts';
import { errorResponses, IdParamSchema } from '../schemas/common.ts';
import { InvitedUserSchema, InviteUserSchema, UpdateUserSchema, UserSchema } from '../schemas/users.ts';
import { inviteUser, reissueInvite } from '../services/users/invite.ts';
import { getUser, listUsers } from '../services/users/list.ts';
import { deleteUser } from '../services/users/remove.ts';
import { updateUser } from '../services/users/update.ts';
import { newApiRouter } from './openapi.ts';

const security = [{ bearer: [] }];
const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

/** `/api/v1/users`: the admin users (roles in src/http/permissions.ts; owner rules in the services). */
export function usersApi(deps: AppDeps) {
  const app = newApiRouter();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listUsers',
      tags: ['users'],
      summary: 'List admin users with their roles and states',
      security,
      responses: {
        200: { description: 'Users', content: json(z.object({ data: z.array(UserSchema) })) },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => c.json({ data: await listUsers({ ctx: c.get('ctx') }) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      operationId: 'inviteUser',
      tags: ['users'],
      summary: 'Invite an admin user: a one-time link (in this response only) where they set their password',
      description: 'Only an owner can invite an owner.',
      security,
      request: { body: { content: json(InviteUserSchema), required: true } },
      responses: {
        201: { description: 'Invited', content: json(InvitedUserSchema) },
        ...errorResponses(401, 403, 422),
      },
    }),
    async (c) =>
      c.json(
        await inviteUser({ ctx: c.get('ctx'), input: c.req.valid('json'), baseUrl: dashboardOrigin(deps.config, c) }),
        201,
      ),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      operationId: 'getUser',
      tags: ['users'],
      summary: 'One admin user',
      security,
      request: { params: IdParamSchema },
      responses: { 200: { description: 'User', content: json(UserSchema) }, ...errorResponses(401, 403, 404) },
    }),
    async (c) => c.json(await getUser({ ctx: c.get('ctx'), input: c.req.valid('param') }), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/{id}',
      operationId: 'updateUser',
      tags: ['users'],
      summary: 'Change a role or e-mail, or disable/enable (disabling ends their sessions and stops their tokens)',
      description: 'The last enabled owner cannot be demoted or disabled (409). Only an owner can change an owner.',
      security,
      request: { params: IdParamSchema, body: { content: json(UpdateUserSchema), required: true } },
      responses: {
        200: { description: 'Changed', content: json(UserSchema) },
        ...errorResponses(401, 403, 404, 409, 422),
      },
    }),
    async (c) =>
      c.json(await updateUser({ ctx: c.get('ctx'), input: { ...c.req.valid('param'), ...c.req.valid('json') } }), 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      operationId: 'deleteUser',
      tags: ['users'],
      summary: 'Delete an admin user (their tokens are revoked; the audit log keeps their name)',
      security,
      request: { params: IdParamSchema },
      responses: {
        200: { description: 'Deleted', content: json(UserSchema) },
        ...errorResponses(401, 403, 404, 409),
      },
    }),
    async (c) => c.json(await deleteUser({ ctx: c.get('ctx'), input: c.req.valid('param') }), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/invite',
      operationId: 'reissueInvite',
      tags: ['users'],
      summary: 'A new invite link for a user who has not accepted yet (the old link stops working)',
      security,
      request: { params: IdParamSchema },
      responses: {
        201: { description: 'New link', content: json(InvitedUserSchema) },
        ...errorResponses(401, 403, 404, 409),
      },
    }),
    async (c) =>
      c.json(
        await reissueInvite({
          ctx: c.get('ctx'),
          input: c.req.valid('param'),
          baseUrl: dashboardOrigin(deps.config, c),
        }),
        201,
      ),
  );

  return app;
}
