import { OpenAPIHono } from '@hono/zod-openapi';
import { apiApp } from './api/app.ts';
import { LoginThrottle } from './auth/login-throttle.ts';
import { LOGIN_PREFIX, VERIFY_PATH } from './auth/route-cookies.ts';
import { RouteAuthThrottle } from './auth/route-throttle.ts';
import { dashboardApp } from './dashboard/index.tsx';
import { errorPage } from './dashboard/shared/error-page.tsx';
import { API_BODY_LIMIT, type BodyLimitRule, LOGIN_BODY_LIMIT, limitRequestBodies } from './http/body-limit.ts';
import { errorResponse } from './http/errors.ts';
import { httpMetrics, metricsEndpoint } from './http/metrics.ts';
import { requestContext } from './http/middleware.ts';
import type { AppDeps, AppEnv } from './http/types.ts';
import { confineRouteTraffic, forwardAuthApp } from './route-auth/forward-auth.ts';
import { routeLoginApp } from './route-auth/route-login.ts';
import { messagePage, PAGE_HEADERS } from './route-auth/route-login-page.ts';

const under = (prefix: string) => (path: string) => path === prefix || path.startsWith(`${prefix}/`);

/** Which body limit each endpoint gets, and how its 413 looks (first match wins; the last rule catches all). */
function bodyLimitRules(): BodyLimitRule[] {
  const json: BodyLimitRule['render'] = (c, err) => errorResponse(c, err);
  const routePage: BodyLimitRule['render'] = (c, err) => {
    for (const [k, v] of Object.entries(PAGE_HEADERS)) c.header(k, v);
    return c.html(messagePage('Request too large', err.message), 413);
  };
  const dashboardPage: BodyLimitRule['render'] = (c, err) => errorPage(err, c as never);
  return [
    { matches: under('/api/v1/auth'), maxBytes: LOGIN_BODY_LIMIT, render: json },
    { matches: under('/api/v1'), maxBytes: API_BODY_LIMIT, render: json },
    { matches: under(LOGIN_PREFIX), maxBytes: LOGIN_BODY_LIMIT, render: routePage },
    { matches: under(VERIFY_PATH), maxBytes: LOGIN_BODY_LIMIT, render: routePage },
    { matches: under('/login'), maxBytes: LOGIN_BODY_LIMIT, render: dashboardPage },
    { matches: () => true, maxBytes: API_BODY_LIMIT, render: dashboardPage },
  ];
}

/**
 * The whole HTTP surface of the control plane: `/healthz`, route auth (Caddy's forward auth and the login pages
 * on protected domains), the REST API under `/api/v1` and the dashboard. It sits above every HTTP app so none of
 * them imports another (docs/architecture.md#layers). Building it starts nothing; the server decides where it listens.
 */
export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.use('*', httpMetrics(deps.metrics));
  app.use('*', requestContext(deps));
  app.onError((err, c) => errorResponse(c, err));
  // Before anything reads a body: an unauthenticated upload must not grow the process (SECURITY.md).
  app.use('*', limitRequestBodies(bodyLimitRules()));
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

  // Public: up or down only. The details (paths, pids, versions) are GET /api/v1/health, behind a login.
  app.get('/healthz', async (c) => {
    const report = await deps.health().catch(() => undefined);
    return report?.status === 'ok' ? c.json({ status: 'ok' }, 200) : c.json({ status: 'down' }, 503);
  });

  // Prometheus: behind its own bearer token (GATEHOUSE_METRICS_TOKEN), not an admin login; see docs/metrics.md.
  app.get('/metrics', metricsEndpoint(deps.metrics, deps.config.metrics.token));

  // One admin login throttle for the API and the dashboard: a guess counts the same through either door.
  const adminLoginThrottle = new LoginThrottle();
  app.route('/api/v1', apiApp(deps, adminLoginThrottle));
  // The dashboard registers each of its paths explicitly, so it claims nothing under /api/v1.
  app.route('/', dashboardApp(deps, adminLoginThrottle));
  return app;
}
