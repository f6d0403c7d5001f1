import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { AppError, ValidationError } from '../../errors.ts';
import { dashboardOrigin } from '../../http/origin.ts';
import { CreateIdentityProviderSchema } from '../../schemas/identity-providers.ts';
import { UpdateSettingsSchema } from '../../schemas/settings.ts';
import { listBackups } from '../../services/backup/schedule.ts';
import { applyConfigFile } from '../../services/config-file/apply.ts';
import { parseConfigText } from '../../services/config-file/parse.ts';
import {
  createIdentityProvider,
  listIdentityProviders,
  removeIdentityProvider,
} from '../../services/identity-providers/save.ts';
import { getSettings } from '../../services/settings/get.ts';
import { updateRuntimeSettings } from '../../services/settings/runtime.ts';
import { checked, str, toFormErrors } from '../shared/forms.ts';
import { meta, page } from '../shared/render.ts';
import { type DashEnv, formOf, redirect } from '../shared/session.ts';
import { ConfigPage } from './config-page.tsx';
import { type ProviderForm, parseGroupRoles } from './identity-providers-card.tsx';
import { SettingsPage } from './page.tsx';

const PROVIDER_FIELDS = [
  'name',
  'issuer',
  'client_id',
  'client_secret',
  'scopes',
  'groups_claim',
  'email_claim',
  'group_roles',
];

/** The dashboard's settings page: the environment's settings (read-only) and the run-time ones (a form each). */
export function settingsDashboard(session: MiddlewareHandler<DashEnv>) {
  const app = new Hono<DashEnv>();
  const render = async (
    c: Context<DashEnv>,
    extra: { endpointForm?: Parameters<typeof SettingsPage>[0]['endpointForm']; providerForm?: ProviderForm } = {},
    status: 200 | 422 = 200,
  ) => {
    const ctx = c.get('ctx');
    const providers = await listIdentityProviders({ ctx, origin: dashboardOrigin(ctx.config, c) });
    const settings = await getSettings({ ctx });
    return page(
      c,
      <SettingsPage meta={meta(c, 'Settings')} settings={settings} providers={providers} {...extra} />,
      status,
    );
  };
  app.get('/settings', session, (c) => render(c));
  app.post('/settings/identity-providers', session, async (c) => {
    const form = await formOf(c);
    const ctx = c.get('ctx');
    try {
      const input = CreateIdentityProviderSchema.parse({
        name: str(form, 'name'),
        issuer: str(form, 'issuer'),
        client_id: str(form, 'client_id'),
        client_secret: str(form, 'client_secret'),
        scopes: str(form, 'scopes'),
        groups_claim: str(form, 'groups_claim') || 'groups',
        email_claim: str(form, 'email_claim') || 'email',
        group_roles: parseGroupRoles(str(form, 'group_roles')),
      });
      await createIdentityProvider({ ctx, input, origin: dashboardOrigin(ctx.config, c) });
      return redirect(c, '/settings?done=settings-saved#identity-providers');
    } catch (err) {
      return render(c, { providerForm: { values: form, errors: toFormErrors(err, PROVIDER_FIELDS) } }, 422);
    }
  });
  app.post('/settings/identity-providers/:id/delete', session, async (c) => {
    const ctx = c.get('ctx');
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id) || id <= 0) return c.notFound();
    await removeIdentityProvider({ ctx, id, origin: dashboardOrigin(ctx.config, c) });
    return redirect(c, '/settings?done=settings-saved#identity-providers');
  });
  app.post('/settings/sso-only', session, async (c) => {
    const form = await formOf(c);
    const ctx = c.get('ctx');
    try {
      await updateRuntimeSettings({ ctx, input: { sso_only: checked(form, 'sso_only') } });
      return redirect(c, '/settings?done=settings-saved#identity-providers');
    } catch (err) {
      return render(c, { providerForm: { values: form, errors: toFormErrors(err, ['sso_only']) } }, 422);
    }
  });
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
      return render(c, { endpointForm: { values: form, errors: toFormErrors(err, ['wg_endpoint']) } }, 422);
    }
  });
  const configPage = async (
    c: Context<DashEnv>,
    extra: Partial<Parameters<typeof ConfigPage>[0]> = {},
    status: 200 | 422 = 200,
  ) => {
    const ctx = c.get('ctx');
    const settings = await getSettings({ ctx });
    return page(
      c,
      <ConfigPage
        meta={meta(c, 'Configuration and backups')}
        backups={listBackups(ctx.config)}
        schedule={settings}
        {...extra}
      />,
      status,
    );
  };
  app.get('/settings/config', session, (c) => configPage(c));
  // Plan and apply: the same services as the CLI and the API (one transaction; the plan runs rolled back).
  for (const [path, dryRun] of [
    ['/settings/config/plan', true],
    ['/settings/config/apply', false],
  ] as const) {
    app.post(path, session, async (c) => {
      const form = await formOf(c);
      const content = str(form, 'content');
      const prune = checked(form, 'prune');
      try {
        const plan = await applyConfigFile(c.get('ctx'), parseConfigText(content, 'pasted file'), { prune, dryRun });
        return configPage(c, { content, prune, plan });
      } catch (err) {
        if (!(err instanceof ValidationError || err instanceof AppError)) throw err;
        const errors = err instanceof ValidationError ? err.issues.map((i) => i.message) : [err.message];
        return configPage(c, { content, prune, errors }, 422);
      }
    });
  }
  app.post('/settings/config/backups', session, async (c) => {
    const form = await formOf(c);
    try {
      const input = UpdateSettingsSchema.parse({
        backup_interval_hours: Number(str(form, 'backup_interval_hours')),
        backup_keep: Number(str(form, 'backup_keep')),
      });
      await updateRuntimeSettings({ ctx: c.get('ctx'), input });
      return redirect(c, '/settings/config?done=settings-saved');
    } catch (err) {
      return configPage(c, { errors: Object.values(toFormErrors(err, []).fields) }, 422);
    }
  });
  return app;
}
