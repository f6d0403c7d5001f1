import { Hono, type MiddlewareHandler } from 'hono';
import { UpdateSettingsSchema } from '../../schemas/settings.ts';
import { getSettings } from '../../services/settings/get.ts';
import { updateRuntimeSettings } from '../../services/settings/runtime.ts';
import { checked, str, toFormErrors } from '../shared/forms.ts';
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
  app.post('/settings/wg-endpoint', session, async (c) => {
    const form = await formOf(c);
    const ctx = c.get('ctx');
    try {
      const typed = str(form, 'wg_endpoint');
      const input = UpdateSettingsSchema.parse({ wg_endpoint: typed === '' ? null : typed });
      await updateRuntimeSettings({ ctx, input });
      return redirect(c, '/settings?done=settings-saved');
    } catch (err) {
      const errors = toFormErrors(err, ['wg_endpoint']);
      const settings = await getSettings({ ctx });
      return page(
        c,
        <SettingsPage meta={meta(c, 'Settings')} settings={settings} endpointForm={{ values: form, errors }} />,
        422,
      );
    }
  });
  return app;
}
