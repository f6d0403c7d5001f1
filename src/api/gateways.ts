import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../http/types.ts';
import { errorResponses, IdParamSchema } from '../schemas/common.ts';
import { CreatedGatewaySchema, CreateGatewaySchema, GatewaySchema, UpdateGatewaySchema } from '../schemas/gateways.ts';
import { createGateway } from '../services/gateways/create.ts';
import { type GatewayLiveSource, getGateway, listGateways } from '../services/gateways/list.ts';
import { removeGateway } from '../services/gateways/remove.ts';
import { rotateGatewayToken } from '../services/gateways/rotate-token.ts';
import { updateGateway } from '../services/gateways/update.ts';
import { newApiRouter } from './openapi.ts';

const security = [{ bearer: [] }];
const json = <T>(schema: T) => ({ 'application/json': { schema } });

/** `/api/v1/gateways`: admin CRUD, token rotation, and each gateway's live state (online, drift, health). */
export function gatewaysApi(deps: AppDeps) {
  const app = newApiRouter();
  const live: GatewayLiveSource = {
    isOnline: (id) => deps.gatewaySync?.hub.isOnline(id) ?? false,
    handshakeAt: (publicKey) => deps.peers?.network.latest(publicKey)?.latestHandshake ?? null,
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listGateways',
      tags: ['gateways'],
      summary: 'List gateways with their state (online, last seen, handshake age, drift, listeners, targets)',
      security,
      responses: {
        200: { description: 'Gateways', content: json(z.object({ data: z.array(GatewaySchema) })) },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => c.json({ data: await listGateways({ ctx: c.get('ctx'), live }) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      operationId: 'getGateway',
      tags: ['gateways'],
      summary: 'One gateway and its state',
      security,
      request: { params: IdParamSchema },
      responses: { 200: { description: 'Gateway', content: json(GatewaySchema) }, ...errorResponses(401, 403, 404) },
    }),
    async (c) => c.json(await getGateway({ ctx: c.get('ctx'), input: { id: c.req.valid('param').id }, live }), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      operationId: 'createGateway',
      tags: ['gateways'],
      summary: 'Create a gateway; its agent token is in this response only',
      security,
      request: { body: { content: json(CreateGatewaySchema), required: true } },
      responses: {
        201: { description: 'Created', content: json(CreatedGatewaySchema) },
        ...errorResponses(401, 403, 409, 422),
      },
    }),
    async (c) => {
      const ctx = c.get('ctx');
      const { row, token } = await createGateway({ ctx, input: c.req.valid('json') });
      return c.json({ ...(await getGateway({ ctx, input: { id: row.id }, live })), token }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/{id}',
      operationId: 'updateGateway',
      tags: ['gateways'],
      summary: 'Change name, peer or LAN networks',
      security,
      request: { params: IdParamSchema, body: { content: json(UpdateGatewaySchema), required: true } },
      responses: {
        200: { description: 'Updated', content: json(GatewaySchema) },
        ...errorResponses(401, 403, 404, 409, 422),
      },
    }),
    async (c) => {
      const ctx = c.get('ctx');
      const { id } = c.req.valid('param');
      await updateGateway({ ctx, input: { id, patch: c.req.valid('json') } });
      return c.json(await getGateway({ ctx, input: { id }, live }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      operationId: 'deleteGateway',
      tags: ['gateways'],
      summary: 'Delete a gateway no route uses; its agent is disconnected',
      security,
      request: { params: IdParamSchema },
      responses: { 204: { description: 'Deleted' }, ...errorResponses(401, 403, 404, 409) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await removeGateway({ ctx: c.get('ctx'), input: { id } });
      await deps.gatewaySync?.hub.disconnect(id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/rotate-token',
      operationId: 'rotateGatewayToken',
      tags: ['gateways'],
      summary: 'Issue a new agent token; the old one stops working and its stream is closed',
      security,
      request: { params: IdParamSchema },
      responses: {
        200: { description: 'Rotated', content: json(CreatedGatewaySchema) },
        ...errorResponses(401, 403, 404),
      },
    }),
    async (c) => {
      const ctx = c.get('ctx');
      const { id } = c.req.valid('param');
      const { token } = await rotateGatewayToken({ ctx, input: { id } });
      await deps.gatewaySync?.hub.disconnect(id);
      return c.json({ ...(await getGateway({ ctx, input: { id }, live })), token }, 200);
    },
  );

  return app;
}
