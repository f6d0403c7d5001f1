import { streamSSE } from 'hono/streaming';
import { AppError, UnauthorizedError, UnavailableError } from '../errors.ts';
import { GatewayStatusReportSchema } from '../schemas/gateway-protocol.ts';
import { authenticateGateway, recordGatewayStatus, touchGateway } from '../services/gateways/agent.ts';
import { fromZodError } from './errors.ts';
import { newApiRouter } from './openapi.ts';
import type { AppDeps } from './types.ts';

function bearer(header: string | undefined): string {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) throw new UnauthorizedError('a gateway token is required: Authorization: Bearer gtw_…');
  return match[1]!;
}

/**
 * `/api/v1/gateway/*`: the agents' side, authenticated by the gateway token (not by the admin middleware,
 * which would accept API tokens and sessions instead). Mounted outside the admin auth in src/api/app.ts.
 */
export function gatewaySyncApi(deps: AppDeps) {
  const app = newApiRouter();

  app.get('/events', async (c) => {
    const sync = deps.gatewaySync;
    if (!sync) throw new UnavailableError('gateway sync is not running');
    const gateway = await authenticateGateway({ db: deps.db, token: bearer(c.req.header('authorization')) });
    await touchGateway({ db: deps.db, input: { id: gateway.id, now: deps.now() } });
    const lastEventId = c.req.header('last-event-id');
    c.get('logger').info({ gatewayId: gateway.id, lastEventId }, 'gateway connected');
    // Proxies in front of us must not buffer the stream.
    c.header('X-Accel-Buffering', 'no');
    c.header('Cache-Control', 'no-store');
    return streamSSE(c, (stream) => sync.hub.attach(gateway.id, stream, lastEventId));
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
    await recordGatewayStatus({ db: deps.db, input: { id: gateway.id, report: parsed.data, now: deps.now() } });
    return c.body(null, 204);
  });

  return app;
}
