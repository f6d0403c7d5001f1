import { OpenAPIHono } from '@hono/zod-openapi';
import { apiApp } from './api/app.ts';
import { LoginThrottle } from './auth/login-throttle.ts';
import { LOGIN_PREFIX } from './auth/route-cookies.ts';
import { RouteAuthThrottle } from './auth/route-throttle.ts';
import { dashboardApp } from './dashboard/index.tsx';
import { errorResponse } from './http/errors.ts';
import { requestContext } from './http/middleware.ts';
import type { AppDeps, AppEnv } from './http/types.ts';
import { confineRouteTraffic, forwardAuthApp } from './route-auth/forward-auth.ts';
import { routeLoginApp } from './route-auth/route-login.ts';

/**
 * The whole HTTP surface of the control plane: `/healthz`, route auth (Caddy's forward auth and the login pages
 * on protected domains), the REST API under `/api/v1` and the dashboard. It sits above every HTTP app so none of
 * them imports another (docs/architecture.md#layers). Building it starts nothing; the server decides where it listens.
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

  // Route auth, outside the admin auth.
  const routeAuthThrottle = new RouteAuthThrottle();
  app.use('*', confineRouteTraffic());
  app.route('/', forwardAuthApp(deps, routeAuthThrottle));
  app.route(LOGIN_PREFIX, routeLoginApp(deps, routeAuthThrottle));

  app.get('/healthz', async (c) => {
    const report = await deps.health();
    return c.json(report, report.status === 'ok' ? 200 : 503);
  });

  // One admin login throttle for the API and the dashboard: a guess counts the same through either door.
  const adminLoginThrottle = new LoginThrottle();
  app.route('/api/v1', apiApp(deps, adminLoginThrottle));
  // The dashboard registers each of its paths explicitly, so it claims nothing under /api/v1.
  app.route('/', dashboardApp(deps, adminLoginThrottle));
  return app;
}
