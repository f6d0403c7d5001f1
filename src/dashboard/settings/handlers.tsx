import { Hono, type MiddlewareHandler } from 'hono';
import { getSettings } from '../../services/settings/get.ts';
import { updateRuntimeSettings } from '../../services/settings/runtime.ts';
import { checked } from '../shared/forms.ts';
import { meta, page } from '../shared/render.ts';
import { type DashEnv, formOf, redirect } from '../shared/session.ts';
import { SettingsPage } from './page.tsx';

/** The dashboard's settings page: the environment's settings (read-only) and the run-time ones (a form each). */
export function settingsDashboard(session: MiddlewareHandler<DashEnv>) {
  const app = new Hono<DashEnv>();
  app.get('/settings', session, async (c) =>
    page(c, <SettingsPage meta={meta(c, 'Settings')} settings={await getSettings({ ctx: c.get('ctx') })} />),
  );
  app.post('/settings/api-docs', session, async (c) => {
    const form = await formOf(c);
    await updateRuntimeSettings({ ctx: c.get('ctx'), input: { api_docs_public: checked(form, 'api_docs_public') } });
    return redirect(c, '/settings?done=settings-saved');
  });
  return app;
}
