import { Hono, type MiddlewareHandler } from 'hono';
import type { AppDeps } from '../../http/types.ts';
import { gatewaysCard } from '../gateways/live.tsx';
import { meta, page } from '../shared/render.ts';
import type { DashEnv } from '../shared/session.ts';
import { overviewData } from './data.ts';
import { Overview } from './page.tsx';

/** The dashboard's start page. */
export function overviewDashboard(deps: AppDeps, session: MiddlewareHandler<DashEnv>) {
  const app = new Hono<DashEnv>();
  app.get('/', session, async (c) => {
    const gateways = await gatewaysCard(c.get('ctx'), deps);
    const data = await overviewData(c, deps);
    return page(c, <Overview meta={meta(c, 'Overview')} data={data} gateways={gateways} />);
  });
  return app;
}
