import { Hono, type MiddlewareHandler } from 'hono';
import type { AppDeps } from '../../http/types.ts';
import { CreateChannelSchema, UpdateChannelSchema } from '../../schemas/alerts.ts';
import {
  createChannel,
  getChannel,
  listChannels,
  removeChannel,
  updateChannel,
} from '../../services/alerts/channels.ts';
import { listActiveAlerts, queueTestAlert } from '../../services/alerts/test-send.ts';
import { checked, type Form, toFormErrors } from '../shared/forms.ts';
import { Layout } from '../shared/layout.tsx';
import { OnceStore } from '../shared/once.ts';
import { meta, page } from '../shared/render.ts';
import { type DashContext, type DashEnv, formOf, redirect } from '../shared/session.ts';
import { configFromForm, formFromConfig } from './form.ts';
import { AlertsPage, ChannelForm } from './page.tsx';

const SHOWN = [
  'name',
  'config.url',
  'config.title_prefix',
  'config.priority',
  'config.tags',
  'config.host',
  'config.port',
  'config.user',
  'config.from',
  'config.to',
];
const channelId = (raw: string) => (/^\d{1,9}$/.test(raw) ? Number(raw) : 0);

/** `/alerts`: channels (create, edit, delete, send test) and the conditions that hold now. */
export function alertsDashboard(deps: AppDeps, session: MiddlewareHandler<DashEnv>) {
  const app = new Hono<DashEnv>();
  const createdSecret = new OnceStore<{ name: string; secret: string }>();

  const render = async (
    c: DashContext,
    extra: { values?: Form; errors?: ReturnType<typeof toFormErrors> } = {},
    status: 200 | 422 = 200,
  ) => {
    const ctx = c.get('ctx');
    return page(
      c,
      <AlertsPage
        meta={meta(c, 'Alerts')}
        channels={await listChannels({ ctx })}
        active={await listActiveAlerts({ ctx })}
        createdSecret={createdSecret.take(c.get('csrfToken') ?? '')}
        {...extra}
      />,
      status,
    );
  };

  app.get('/alerts', session, (c) => render(c));

  app.post('/alerts/channels', session, async (c) => {
    const form = await formOf(c);
    try {
      const input = CreateChannelSchema.parse({ name: form.name, enabled: true, config: configFromForm(form) });
      const created = await createChannel({ ctx: c.get('ctx'), input });
      if (created.secret) createdSecret.put(c.get('csrfToken') ?? '', { name: created.name, secret: created.secret });
      return redirect(c, '/alerts');
    } catch (err) {
      return render(c, { values: form, errors: toFormErrors(err, SHOWN) }, 422);
    }
  });

  app.get('/alerts/channels/:id', session, async (c) => {
    const channel = await getChannel({ ctx: c.get('ctx'), input: { id: channelId(c.req.param('id')) } });
    const m = meta(c, `Alert channel ${channel.name}`, '/alerts');
    return page(
      c,
      <Layout meta={m}>
        <ChannelForm
          csrf={m.csrf}
          action={`/alerts/channels/${channel.id}`}
          values={{
            ...formFromConfig(channel.name, channel.kind, channel.config),
            enabled: channel.enabled ? '1' : '',
          }}
          editing={channel}
        />
      </Layout>,
    );
  });

  app.post('/alerts/channels/:id', session, async (c) => {
    const ctx = c.get('ctx');
    const id = channelId(c.req.param('id'));
    const form = await formOf(c);
    const channel = await getChannel({ ctx, input: { id } });
    try {
      const input = UpdateChannelSchema.parse({
        name: form.name,
        enabled: form.enabled === undefined ? undefined : checked(form, 'enabled'),
        config: configFromForm(form),
      });
      await updateChannel({ ctx, input: { ...input, id } });
      return redirect(c, '/alerts');
    } catch (err) {
      const m = meta(c, `Alert channel ${channel.name}`, '/alerts');
      return page(
        c,
        <Layout meta={m}>
          <ChannelForm
            csrf={m.csrf}
            action={`/alerts/channels/${id}`}
            values={form}
            errors={toFormErrors(err, SHOWN)}
            editing={channel}
          />
        </Layout>,
        422,
      );
    }
  });

  app.post('/alerts/channels/:id/test', session, async (c) => {
    await queueTestAlert({ ctx: c.get('ctx'), input: { id: channelId(c.req.param('id')) }, queue: deps.alerts?.queue });
    return redirect(c, '/alerts?done=test-queued');
  });

  app.post('/alerts/channels/:id/delete', session, async (c) => {
    await removeChannel({ ctx: c.get('ctx'), input: { id: channelId(c.req.param('id')) } });
    return redirect(c, '/alerts?done=channel-deleted');
  });
  return app;
}
