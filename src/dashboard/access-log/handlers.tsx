import { Hono, type MiddlewareHandler } from 'hono';
import { AccessLogListQuerySchema } from '../../schemas/access-log.ts';
import { listAccessLog } from '../../services/access-log/query.ts';
import { routeRates } from '../../services/access-log/rates.ts';
import { meta, page } from '../shared/render.ts';
import type { DashEnv } from '../shared/session.ts';
import { type ChartMetric, rateChartSvg } from './chart.ts';
import { AccessLogPage } from './page.tsx';

const FILTER_KEYS = ['route', 'address', 'decision', 'check', 'rule', 'from', 'to', 'before'] as const;

/** The log viewer (`/access-log`) and the route page's rate charts (`/access-log/routes/:id/:metric.svg`). */
export function accessLogDashboard(session: MiddlewareHandler<DashEnv>) {
  const app = new Hono<DashEnv>();
  app.get('/access-log', session, async (c) => {
    const typed: Record<string, string> = {};
    for (const k of FILTER_KEYS) {
      const v = c.req.query(k);
      if (v !== undefined && v !== '') typed[k] = v.slice(0, 600);
    }
    const parsed = AccessLogListQuerySchema.safeParse(typed);
    const m = meta(c, 'Access log');
    if (!parsed.success) {
      const errors = parsed.error.issues.map((i) => ({ field: String(i.path[0] ?? 'query'), message: i.message }));
      return page(
        c,
        <AccessLogPage meta={m} filter={{}} typed={typed} errors={errors} entries={[]} nextBefore={null} />,
        422,
      );
    }
    const { before: _before, limit: _limit, ...filter } = parsed.data;
    const result = await listAccessLog(c.get('ctx').db, parsed.data);
    return page(
      c,
      <AccessLogPage
        meta={m}
        filter={filter}
        typed={typed}
        errors={[]}
        entries={result.data}
        nextBefore={result.next_before}
      />,
    );
  });
  app.get('/access-log/routes/:id/:chart', session, async (c) => {
    const id = Number(c.req.param('id'));
    const metric = /^(requests|denied|bytes)\.svg$/.exec(c.req.param('chart'))?.[1] as ChartMetric | undefined;
    if (!Number.isInteger(id) || id < 1 || id > 2_147_483_647 || !metric) return c.text('not found', 404);
    const buckets = await routeRates(c.get('ctx').db, id, c.get('ctx').now());
    c.header('Cache-Control', 'no-store');
    return c.body(rateChartSvg(buckets, metric, 'hour'), 200, { 'Content-Type': 'image/svg+xml' });
  });
  return app;
}
