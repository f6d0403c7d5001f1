import { createRoute, type z } from '@hono/zod-openapi';
import { errorResponses, IdParamSchema } from '../schemas/common.ts';
import {
  CreatePolicySchema,
  ExplainAnswerSchema,
  ExplainPolicySchema,
  ExplainUnsavedPolicySchema,
  PolicyListQuerySchema,
  PolicyListSchema,
  SharedPolicyDetailSchema,
  UpdatePolicySchema,
  WrittenPolicySchema,
} from '../schemas/policies.ts';
import { createPolicy } from '../services/policies/create.ts';
import { explainPolicy, explainUnsavedPolicy } from '../services/policies/explain.ts';
import { getPolicy, listPolicies } from '../services/policies/read.ts';
import { removePolicy } from '../services/policies/remove.ts';
import { updatePolicy } from '../services/policies/update.ts';
import { newApiRouter } from './openapi.ts';

const security = [{ bearer: [] }];
const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

/**
 * `/api/v1/policies`: shared access policies (docs/architecture.md "Access control"). Roles come from the one
 * permission table (src/http/permissions.ts): explain only asks the data plane, so it is a read though a POST.
 */
export function policiesApi() {
  const app = newApiRouter();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listPolicies',
      tags: ['policies'],
      summary: 'List shared policies with how many routes use each (filter q; paginated)',
      security,
      request: { query: PolicyListQuerySchema },
      responses: {
        200: { description: 'Policies', content: json(PolicyListSchema) },
        ...errorResponses(401, 403, 422),
      },
    }),
    async (c) => c.json(await listPolicies({ ctx: c.get('ctx'), input: c.req.valid('query') }), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      operationId: 'createPolicy',
      tags: ['policies'],
      summary: 'Create a shared policy: ordered allow/deny rules, a default, an optional rate limit and login',
      security,
      request: { body: { content: json(CreatePolicySchema), required: true } },
      responses: {
        201: { description: 'Created', content: json(WrittenPolicySchema) },
        ...errorResponses(401, 403, 409, 422),
      },
    }),
    async (c) => c.json(await createPolicy({ ctx: c.get('ctx'), input: c.req.valid('json') }), 201),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/explain',
      operationId: 'explainUnsavedPolicy',
      tags: ['policies'],
      summary: 'Decide for a policy not saved yet: which rule matches this address, time, method and path',
      security,
      request: { body: { content: json(ExplainUnsavedPolicySchema), required: true } },
      responses: {
        200: { description: 'The data plane’s decision', content: json(ExplainAnswerSchema) },
        ...errorResponses(401, 403, 422, 503),
      },
    }),
    async (c) => c.json(await explainUnsavedPolicy({ ctx: c.get('ctx'), input: c.req.valid('json') }), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      operationId: 'getPolicy',
      tags: ['policies'],
      summary: 'One shared policy with the routes that use it',
      security,
      request: { params: IdParamSchema },
      responses: {
        200: { description: 'The policy', content: json(SharedPolicyDetailSchema) },
        ...errorResponses(401, 403, 404),
      },
    }),
    async (c) => c.json(await getPolicy({ ctx: c.get('ctx'), input: c.req.valid('param') }), 200),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/{id}',
      operationId: 'updatePolicy',
      tags: ['policies'],
      summary: 'Change a policy (partial); every route using it changes at once, in one data-plane push',
      security,
      request: { params: IdParamSchema, body: { content: json(UpdatePolicySchema), required: true } },
      responses: {
        200: { description: 'Updated', content: json(WrittenPolicySchema) },
        ...errorResponses(401, 403, 404, 409, 422),
      },
    }),
    async (c) =>
      c.json(
        await updatePolicy({ ctx: c.get('ctx'), input: { id: c.req.valid('param').id, changes: c.req.valid('json') } }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      operationId: 'deletePolicy',
      tags: ['policies'],
      summary: 'Delete a policy no route uses (409 naming the routes otherwise)',
      security,
      request: { params: IdParamSchema },
      responses: {
        200: { description: 'The deleted policy', content: json(SharedPolicyDetailSchema) },
        ...errorResponses(401, 403, 404, 409),
      },
    }),
    async (c) => c.json(await removePolicy({ ctx: c.get('ctx'), input: c.req.valid('param') }), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/explain',
      operationId: 'explainPolicy',
      tags: ['policies'],
      summary: 'Which rule of this policy matches an address at a time (and a method and path)?',
      security,
      request: { params: IdParamSchema, body: { content: json(ExplainPolicySchema), required: true } },
      responses: {
        200: { description: 'The data plane’s decision', content: json(ExplainAnswerSchema) },
        ...errorResponses(401, 403, 404, 422, 503),
      },
    }),
    async (c) =>
      c.json(
        await explainPolicy({ ctx: c.get('ctx'), input: { id: c.req.valid('param').id, ...c.req.valid('json') } }),
        200,
      ),
  );

  return app;
}
