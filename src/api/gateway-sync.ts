import {
  AGENT_PROTOCOL_HEADER,
  AGENT_VERSION_HEADER,
  GatewayConfigSchema,
  GatewayStatusReportSchema,
  parseRelease,
} from '@gatehouse/protocol';
import { z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { AppError, UnauthorizedError, UnavailableError } from '../errors.ts';
import { fromZodError } from '../http/errors.ts';
import type { AppDeps } from '../http/types.ts';
import { errorResponses } from '../schemas/common.ts';
import { authenticateGateway, recordGatewayStatus, touchGateway } from '../services/gateways/agent.ts';
import { newApiRouter } from './openapi.ts';

function bearer(header: string | undefined): string {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) throw new UnauthorizedError('a gateway token is required: Authorization: Bearer gtw_…');
  return match[1]!;
}

/**
 * `/api/v1/gateway/*`: the agents' side, authenticated by the gateway token (not by the admin middleware,
 * which would accept API tokens and sessions instead). Mounted outside the admin auth in src/api/app.ts (apiApp).
 */
export function gatewaySyncApi(deps: AppDeps) {
  const app = newApiRouter();
  // Hand-written handlers (a stream, and a body parsed with the shared protocol schema); documented here.
  const security = [{ gatewayToken: [] }];
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/events',
    operationId: 'streamGatewayEvents',
    tags: ['gateway agent'],
    summary:
      'Server-sent events for one gateway: `config` (id = version, data = GatewayConfig), `ping`; resumes with Last-Event-ID',
    security,
    request: { headers: z.object({ 'last-event-id': z.string().optional() }) },
    responses: {
      200: {
        description: 'An event stream (text/event-stream) of GatewayConfig events',
        content: { 'text/event-stream': { schema: GatewayConfigSchema } },
      },
      ...errorResponses(401, 503),
    },
  });
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/status',
    operationId: 'reportGatewayStatus',
    tags: ['gateway agent'],
    summary: "The agent's report: applied version, listener state, target probes",
    security,
    request: { body: { content: { 'application/json': { schema: GatewayStatusReportSchema } }, required: true } },
    responses: { 204: { description: 'Recorded' }, ...errorResponses(400, 401, 422) },
  });

  app.get('/events', async (c) => {
    const sync = deps.gatewaySync;
    if (!sync) throw new UnavailableError('gateway sync is not running');
    const gateway = await authenticateGateway({ db: deps.db, token: bearer(c.req.header('authorization')) });
    const protocol = c.req.header(AGENT_PROTOCOL_HEADER) === '2' ? 2 : 1;
    // Untrusted text: kept only when it reads as a release number.
    const announced = c.req.header(AGENT_VERSION_HEADER);
    const version = parseRelease(announced) ? announced!.trim() : null;
    await touchGateway({ db: deps.db, input: { id: gateway.id, now: deps.now(), agent: { version, protocol } } });
    const lastEventId = c.req.header('last-event-id');
    c.get('logger').info({ gatewayId: gateway.id, lastEventId, agentVersion: version, protocol }, 'gateway connected');
    // Proxies in front of us must not buffer the stream.
    c.header('X-Accel-Buffering', 'no');
    c.header('Cache-Control', 'no-store');
    // The hub cuts the socket of a stream whose peer stopped reading (@hono/node-server passes it as env).
    const outgoing = (c.env as { outgoing?: { destroy(): void } } | undefined)?.outgoing;
    return streamSSE(c, (stream) =>
      sync.hub.attach(gateway.id, stream, lastEventId, { protocol, destroyTransport: () => outgoing?.destroy() }),
    );
  });

  app.post('/status', async (c) => {
    const gateway = await authenticateGateway({ db: deps.db, token: bearer(c.req.header('authorization')) });
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new AppError('bad_request', 'status body must be JSON');
    }
    const parsed = GatewayStatusReportSchema.safeParse(body);
    if (!parsed.success) throw fromZodError(parsed.error);
    const recorded = await recordGatewayStatus({
      db: deps.db,
      input: { id: gateway.id, report: parsed.data, now: deps.now() },
    });
    deps.hooks?.gatewayReported?.(gateway.id, recorded.failingChanged);
    return c.body(null, 204);
  });

  return app;
}
