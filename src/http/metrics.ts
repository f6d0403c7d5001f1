import { createServer, type Server } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import { safeEqual } from '../auth/secrets.ts';
import type { ControlPlaneMetrics } from '../services/metrics/control-plane.ts';
import type { AppEnv } from './types.ts';

/** Counts every request by method, matched route pattern (never the raw path: bounded labels) and status. */
export function httpMetrics(metrics: ControlPlaneMetrics | undefined): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!metrics) return next();
    const start = performance.now();
    try {
      await next();
    } finally {
      const route = c.req.routePath && c.res.status !== 404 ? c.req.routePath : 'unmatched';
      metrics.http.observe(
        { method: c.req.method, route, status: String(c.res.status) },
        (performance.now() - start) / 1000,
      );
    }
  };
}

/**
 * `GET /metrics` on the main listener: only with `Authorization: Bearer <GATEHOUSE_METRICS_TOKEN>` (compared in
 * constant time). Without a token configured it does not exist here (404): then only GATEHOUSE_METRICS_LISTEN
 * serves it, if set.
 */
export function metricsEndpoint(metrics: ControlPlaneMetrics | undefined, token: string | undefined) {
  return async (c: Parameters<MiddlewareHandler<AppEnv>>[0]) => {
    if (!metrics || !token) return c.json({ error: { code: 'not_found', message: 'no route for GET /metrics' } }, 404);
    const given = /^Bearer (\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
    if (!safeEqual(given, token)) {
      c.header('WWW-Authenticate', 'Bearer realm="metrics"');
      return c.json({ error: { code: 'unauthorized', message: 'GET /metrics needs the metrics bearer token' } }, 401);
    }
    c.header('Cache-Control', 'no-store');
    return c.body(await metrics.render(), 200, { 'Content-Type': metrics.contentType });
  };
}

/** GATEHOUSE_METRICS_LISTEN: a listener of its own that answers `GET /metrics` and nothing else, without a token. */
export async function listenMetrics(metrics: ControlPlaneMetrics, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.render().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
