import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { dashboardOrigin } from '../http/origin.ts';
import type { AppEnv } from '../http/types.ts';
import { errorResponses, IdParamSchema } from '../schemas/common.ts';
import {
  CreateIdentityProviderSchema,
  IdentityProviderSchema,
  UpdateIdentityProviderSchema,
} from '../schemas/identity-providers.ts';
import {
  createIdentityProvider,
  listIdentityProviders,
  removeIdentityProvider,
  updateIdentityProvider,
} from '../services/identity-providers/save.ts';
import { newApiRouter } from './openapi.ts';

const security = [{ bearer: [] }];
const tags = ['identity providers'];
const one = { 'application/json': { schema: IdentityProviderSchema } };
const origin = (c: Context<AppEnv>) => dashboardOrigin(c.get('ctx').config, c);

/** OpenID Connect providers for the dashboard login (and route logins). Saving asks the provider first. */
export function identityProvidersApi() {
  const app = newApiRouter();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listIdentityProviders',
      tags,
      summary: 'List identity providers (client secrets are never returned)',
      security,
      responses: {
        200: {
          description: 'Providers',
          content: { 'application/json': { schema: z.object({ data: z.array(IdentityProviderSchema) }) } },
        },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => c.json({ data: await listIdentityProviders({ ctx: c.get('ctx'), origin: origin(c) }) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      operationId: 'createIdentityProvider',
      tags,
      summary:
        "Add an OpenID Connect provider; its discovery document and the client secret are checked with the provider first (422 with the provider's answer)",
      security,
      request: { body: { content: { 'application/json': { schema: CreateIdentityProviderSchema } }, required: true } },
      responses: { 201: { description: 'Created', content: one }, ...errorResponses(401, 403, 409, 422) },
    }),
    async (c) =>
      c.json(await createIdentityProvider({ ctx: c.get('ctx'), input: c.req.valid('json'), origin: origin(c) }), 201),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/{id}',
      operationId: 'updateIdentityProvider',
      tags,
      summary: 'Change a provider (absent fields keep their value); a new issuer, client id or secret is checked first',
      security,
      request: {
        params: IdParamSchema,
        body: { content: { 'application/json': { schema: UpdateIdentityProviderSchema } }, required: true },
      },
      responses: { 200: { description: 'Changed', content: one }, ...errorResponses(401, 403, 404, 409, 422) },
    }),
    async (c) =>
      c.json(
        await updateIdentityProvider({
          ctx: c.get('ctx'),
          id: c.req.valid('param').id,
          input: c.req.valid('json'),
          origin: origin(c),
        }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      operationId: 'removeIdentityProvider',
      tags,
      summary: 'Remove a provider (its users keep their accounts but cannot log in through it)',
      security,
      request: { params: IdParamSchema },
      responses: { 200: { description: 'Removed', content: one }, ...errorResponses(401, 403, 404) },
    }),
    async (c) =>
      c.json(await removeIdentityProvider({ ctx: c.get('ctx'), id: c.req.valid('param').id, origin: origin(c) }), 200),
  );

  return app;
}
