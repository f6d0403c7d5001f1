import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../http/types.ts';
import { ChannelSchema, CreateChannelSchema, CreatedChannelSchema, UpdateChannelSchema } from '../schemas/alerts.ts';
import { errorResponses, IdParamSchema } from '../schemas/common.ts';
import { createChannel, getChannel, listChannels, removeChannel, updateChannel } from '../services/alerts/channels.ts';
import { listActiveAlerts, queueTestAlert } from '../services/alerts/test-send.ts';
import { newApiRouter } from './openapi.ts';

const security = [{ bearer: [] }];
const tags = ['alerts'];
const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

const ActiveAlertSchema = z
  .object({
    key: z.string(),
    condition: z.string(),
    subject: z.string(),
    message: z.string(),
    since: z.string(),
    fired_at: z.string().nullable(),
    last_notified_at: z.string().nullable(),
  })
  .openapi('ActiveAlert');

/** `/api/v1/alerts`: the channels alerts go to (secrets write-only), a test send per channel, what holds now. */
export function alertsApi(deps: AppDeps) {
  const app = newApiRouter();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/active',
      operationId: 'listActiveAlerts',
      tags,
      summary: 'Conditions that hold now (fired, or waiting for their threshold)',
      security,
      responses: {
        200: { description: 'Active alerts', content: json(z.object({ data: z.array(ActiveAlertSchema) })) },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => c.json({ data: await listActiveAlerts({ ctx: c.get('ctx') }) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/channels',
      operationId: 'listAlertChannels',
      tags,
      summary: 'List alert channels (secrets are never returned)',
      security,
      responses: {
        200: { description: 'Channels', content: json(z.object({ data: z.array(ChannelSchema) })) },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => c.json({ data: await listChannels({ ctx: c.get('ctx') }) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/channels',
      operationId: 'createAlertChannel',
      tags,
      summary: 'Create a channel: webhook, ntfy, Gotify or email (a generated webhook secret is in this response only)',
      security,
      request: { body: { content: json(CreateChannelSchema), required: true } },
      responses: {
        201: { description: 'Created', content: json(CreatedChannelSchema) },
        ...errorResponses(401, 403, 409, 422),
      },
    }),
    async (c) => c.json(await createChannel({ ctx: c.get('ctx'), input: c.req.valid('json') }), 201),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/channels/{id}',
      operationId: 'getAlertChannel',
      tags,
      summary: 'One channel (no secrets)',
      security,
      request: { params: IdParamSchema },
      responses: { 200: { description: 'Channel', content: json(ChannelSchema) }, ...errorResponses(401, 403, 404) },
    }),
    async (c) => c.json(await getChannel({ ctx: c.get('ctx'), input: c.req.valid('param') }), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/channels/{id}',
      operationId: 'updateAlertChannel',
      tags,
      summary: 'Change a channel; secrets left out keep their stored value',
      security,
      request: { params: IdParamSchema, body: { content: json(UpdateChannelSchema), required: true } },
      responses: {
        200: { description: 'Updated', content: json(ChannelSchema) },
        ...errorResponses(401, 403, 404, 409, 422),
      },
    }),
    async (c) =>
      c.json(
        await updateChannel({ ctx: c.get('ctx'), input: { ...c.req.valid('json'), id: c.req.valid('param').id } }),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/channels/{id}',
      operationId: 'deleteAlertChannel',
      tags,
      summary: 'Delete a channel',
      security,
      request: { params: IdParamSchema },
      responses: { 200: { description: 'Deleted', content: json(ChannelSchema) }, ...errorResponses(401, 403, 404) },
    }),
    async (c) => c.json(await removeChannel({ ctx: c.get('ctx'), input: c.req.valid('param') }), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/channels/{id}/test',
      operationId: 'testAlertChannel',
      tags,
      summary: 'Queue a test notice to one channel; its outcome shows as the channel’s last delivery',
      security,
      request: { params: IdParamSchema },
      responses: {
        202: {
          description: 'Queued',
          content: json(z.object({ queued: z.literal(true), channel_id: z.number().int() })),
        },
        ...errorResponses(401, 403, 404, 503),
      },
    }),
    async (c) =>
      c.json(await queueTestAlert({ ctx: c.get('ctx'), input: c.req.valid('param'), queue: deps.alerts?.queue }), 202),
  );
  return app;
}
