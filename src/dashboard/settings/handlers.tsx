import { Hono, type MiddlewareHandler } from 'hono';
import { getSettings } from '../../services/settings/get.ts';
import { meta, page } from '../shared/render.ts';
import type { DashEnv } from '../shared/session.ts';
import { SettingsPage } from './page.tsx';

/** The dashboard's settings page (read-only). */
export function settingsDashboard(session: MiddlewareHandler<DashEnv>) {
  const app = new Hono<DashEnv>();
  app.get('/settings', session, async (c) =>
    page(c, <SettingsPage meta={meta(c, 'Settings')} settings={await getSettings({ ctx: c.get('ctx') })} />),
  );
  return app;
}
