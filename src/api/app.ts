import { OpenAPIHono } from '@hono/zod-openapi';
import { confineRouteTraffic, forwardAuthApp } from '../auth/forward-auth.ts';
import { LOGIN_PREFIX } from '../auth/route-cookies.ts';
import { routeLoginApp } from '../auth/route-login.ts';
import { RouteAuthThrottle } from '../auth/route-throttle.ts';
import { dashboardApp } from '../dashboard/index.tsx';
import { authApi } from './auth.ts';
import { errorResponse } from './errors.ts';
import { gatewaySyncApi } from './gateway-sync.ts';
import { gatewaysApi } from './gateways.ts';
import { authenticate, requestContext, requireScope } from './middleware.ts';
import { peersApi } from './peers.ts';
import { renderReference } from './reference.ts';
import { routeAuthUsersApi } from './route-auth-users.ts';
import { routesApi } from './routes.ts';
import { settingsApi } from './settings.ts';
import { tokensApi } from './tokens.ts';
import type { AppDeps, AppEnv } from './types.ts';

export const API_INFO = { title: 'Gatehouse API', version: '1' };

/**
 * The whole HTTP surface of the control plane: `/healthz`, the REST API under `/api/v1` and the dashboard
 * at `/`. Building it starts nothing; the server decides where it listens.
 */
export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.use('*', requestContext(deps));
  app.onError((err, c) => errorResponse(c, err));
  app.notFound((c) =>
    c.json(
      {
        error: {
          code: 'not_found',
          message: `no route for ${c.req.method} ${c.req.path}`,
          request_id: c.get('requestId'),
        },
      },
      404,
    ),
  );

  // Route auth (Caddy's forward auth and the login pages on protected domains), outside the admin auth.
  const routeAuthThrottle = new RouteAuthThrottle();
  app.use('*', confineRouteTraffic());
  app.route('/', forwardAuthApp(deps, routeAuthThrottle));
  app.route(LOGIN_PREFIX, routeLoginApp(deps, routeAuthThrottle));

  app.get('/healthz', async (c) => {
    const report = await deps.health();
    return c.json(report, report.status === 'ok' ? 200 : 503);
  });

  const api = new OpenAPIHono<AppEnv>();
  api.route('/auth', authApi(deps));

  api.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'API token (`gth_…`) from POST /api/v1/tokens',
  });
  api.openAPIRegistry.registerComponent('securitySchemes', 'gatewayToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'Gateway agent token (`gtw_…`), shown when the gateway is created or its token rotated',
  });
  // Registered before the secured sub-app: its auth middleware would otherwise claim these paths.
  const document = () => api.getOpenAPI31Document({ openapi: '3.1.0', info: API_INFO, servers: [{ url: '/api/v1' }] });
  api.get('/openapi.json', (c) => c.json(document()));
  api.get('/docs', (c) => c.html(renderReference(document())));

  // Gateway agents authenticate with their own token, not the admin auth below.
  api.route('/gateway', gatewaySyncApi(deps));

  // Everything below needs a bearer token or a dashboard session.
  const secured = new OpenAPIHono<AppEnv>();
  secured.use('*', authenticate(deps));
  secured.route('/tokens', tokensApi());
  secured.route('/routes', routesApi());
  secured.route('/routes', routeAuthUsersApi());
  secured.route('/settings', settingsApi());
  secured.route('/peers', peersApi(deps));
  secured.route('/gateways', gatewaysApi(deps));
  secured.get('/me', requireScope('read'), (c) => c.json({ actor: c.get('actor') }));
  api.route('/', secured);

  app.route('/api/v1', api);
  // The dashboard registers each of its paths explicitly, so it claims nothing under /api/v1.
  app.route('/', dashboardApp(deps));
  return app;
}
