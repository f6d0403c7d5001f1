import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, IdParamSchema, PaginationSchema } from '../schemas/common.ts';
import {
  ConnectionIdParamSchema,
  LiveConnectionSchema,
  RecentClientSchema,
  RouteTrafficSchema,
} from '../schemas/connections.ts';
import { ExplainQuestionShape } from '../schemas/policies.ts';
import { CreateRouteSchema, RouteListQuerySchema, RouteSchema, UpdateRouteSchema } from '../schemas/routes.ts';
import { closeRouteConnection, listRouteConnections } from '../services/routes/connections.ts';
import { createRoute as createRouteVerb } from '../services/routes/create.ts';
import { explainRoute } from '../services/routes/explain.ts';
import { getRouteTraffic, listRouteClients } from '../services/routes/live.ts';
import { getRoute, listRoutes } from '../services/routes/read.ts';
import { removeRoute } from '../services/routes/remove.ts';
import { updateRoute } from '../services/routes/update.ts';
import { newApiRouter } from './openapi.ts';

const security = [{ bearer: [] }];
const json = <T>(schema: T) => ({ 'application/json': { schema } });
const ChangeMeta = z.object({
  config_version: z.number().int(),
  data_plane: z
    .enum(['applied', 'pending'])
    .openapi({ description: 'pending: Caddy is down; applied when it is back' }),
});
const WrittenRoute = RouteSchema.extend(ChangeMeta.shape).openapi('WrittenRoute');

export function routesApi() {
  const app = newApiRouter();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listRoutes',
      tags: ['routes'],
      summary: 'List routes (filters: type, target_kind, gateway_id, enabled, q; paginated)',
      security,
      request: { query: RouteListQuerySchema },
      responses: {
        200: {
          description: 'A page of routes',
          content: json(z.object({ data: z.array(RouteSchema), pagination: PaginationSchema })),
        },
        ...errorResponses(401, 403, 422),
      },
    }),
    async (c) => c.json(await listRoutes({ ctx: c.get('ctx'), input: c.req.valid('query') }), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      operationId: 'getRoute',
      tags: ['routes'],
      summary: 'Get one route',
      security,
      request: { params: IdParamSchema },
      responses: { 200: { description: 'The route', content: json(RouteSchema) }, ...errorResponses(401, 403, 404) },
    }),
    async (c) => c.json(await getRoute({ ctx: c.get('ctx'), input: c.req.valid('param') }), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      operationId: 'createRoute',
      tags: ['routes'],
      summary: 'Create an HTTP or L4 route; live in Caddy when this returns (data_plane: applied)',
      security,
      request: { body: { content: json(CreateRouteSchema), required: true } },
      responses: {
        201: { description: 'Created', content: json(WrittenRoute) },
        ...errorResponses(401, 403, 409, 422),
      },
    }),
    async (c) => c.json(await createRouteVerb({ ctx: c.get('ctx'), input: c.req.valid('json') }), 201),
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/{id}',
      operationId: 'updateRoute',
      tags: ['routes'],
      summary: 'Update a route (partial: only the fields sent change)',
      security,
      request: { params: IdParamSchema, body: { content: json(UpdateRouteSchema), required: true } },
      responses: {
        200: { description: 'Updated', content: json(WrittenRoute) },
        ...errorResponses(401, 403, 404, 409, 422),
      },
    }),
    async (c) =>
      c.json(
        await updateRoute({ ctx: c.get('ctx'), input: { id: c.req.valid('param').id, fields: c.req.valid('json') } }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      operationId: 'deleteRoute',
      tags: ['routes'],
      summary: 'Delete a route',
      security,
      request: { params: IdParamSchema },
      responses: { 200: { description: 'Deleted', content: json(ChangeMeta) }, ...errorResponses(401, 403, 404, 422) },
    }),
    async (c) => c.json(await removeRoute({ ctx: c.get('ctx'), input: c.req.valid('param') }), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/explain',
      operationId: 'explainRouteAccess',
      tags: ['routes'],
      summary:
        "Would this IP be allowed on this route (at a time, for a method and path), and which rule decides? (answered by the data plane's own check)",
      security,
      request: { params: IdParamSchema, query: z.object(ExplainQuestionShape) },
      responses: {
        200: { description: 'The decision', content: json(z.object({}).passthrough()) },
        ...errorResponses(401, 403, 404, 422, 503),
      },
    }),
    async (c) =>
      c.json(
        await explainRoute({ ctx: c.get('ctx'), input: { id: c.req.valid('param').id, ...c.req.valid('query') } }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/connections',
      operationId: 'listRouteConnections',
      tags: ['routes'],
      summary:
        "A route's open L4 connections and UDP sessions (client, country, peer, bytes, age), from the data plane",
      security,
      request: { params: IdParamSchema },
      responses: {
        200: {
          description: 'Open connections, newest first',
          content: json(z.object({ data: z.array(LiveConnectionSchema) })),
        },
        ...errorResponses(401, 403, 404, 503),
      },
    }),
    async (c) =>
      c.json({ data: await listRouteConnections({ ctx: c.get('ctx'), input: { id: c.req.valid('param').id } }) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}/connections/{connection}',
      operationId: 'closeRouteConnection',
      tags: ['routes'],
      summary: 'End one open connection of a route (audit-logged)',
      security,
      request: { params: ConnectionIdParamSchema },
      responses: { 204: { description: 'Closed' }, ...errorResponses(401, 403, 404, 503) },
    }),
    async (c) => {
      await closeRouteConnection({ ctx: c.get('ctx'), input: c.req.valid('param') });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/traffic',
      operationId: 'getRouteTraffic',
      tags: ['routes'],
      summary:
        "Each pool member's (gateway's) connections or requests and bytes since the data plane started, with its share",
      security,
      request: { params: IdParamSchema },
      responses: {
        200: {
          description: 'Members in the order the data plane first used them',
          content: json(z.object({ data: RouteTrafficSchema })),
        },
        ...errorResponses(401, 403, 404, 503),
      },
    }),
    async (c) =>
      c.json({ data: await getRouteTraffic({ ctx: c.get('ctx'), input: { id: c.req.valid('param').id } }) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/clients',
      operationId: 'listRouteClients',
      tags: ['routes'],
      summary:
        "An HTTP route's recent clients: the last 100 distinct addresses (country, peer, gateway, requests, bytes)",
      security,
      request: { params: IdParamSchema },
      responses: {
        200: {
          description: 'Most recently seen first; empty for an L4 route',
          content: json(z.object({ data: z.array(RecentClientSchema) })),
        },
        ...errorResponses(401, 403, 404, 503),
      },
    }),
    async (c) =>
      c.json({ data: await listRouteClients({ ctx: c.get('ctx'), input: { id: c.req.valid('param').id } }) }, 200),
  );

  return app;
}
