import type { listChannels } from '../../services/alerts/channels.ts';
import type { listActiveAlerts } from '../../services/alerts/test-send.ts';
import { type Form, type FormErrors, str } from '../shared/forms.ts';
import { ago, Badge, Csrf, ErrorSummary, Layout, type PageMeta, TextField } from '../shared/layout.tsx';

type Channel = Awaited<ReturnType<typeof listChannels>>[number];
type Active = Awaited<ReturnType<typeof listActiveAlerts>>[number];

const target = (c: Channel) =>
  c.kind === 'email'
    ? `${c.config.host}:${c.config.port} → ${(c.config.to as string[]).join(', ')}`
    : String(c.config.url);

/** The create/edit form: every kind's fields, the kind select decides which are used. */
export function ChannelForm(props: {
  csrf?: string | undefined;
  action: string;
  values: Form;
  errors?: FormErrors;
  editing?: Channel;
}) {
  const v = props.values;
  const e = props.errors?.fields ?? {};
  const field = (name: string, label: string, hint: string, type = 'text') => (
    <TextField
      name={name}
      label={label}
      value={str(v, name)}
      error={e[`config.${name}`] ?? e[name]}
      hint={hint}
      type={type}
    />
  );
  return (
    <form method="post" action={props.action} class="card" novalidate>
      <h2>{props.editing ? `Edit channel “${props.editing.name}”` : 'New channel'}</h2>
      <Csrf token={props.csrf} />
      <ErrorSummary summary={props.errors?.summary} />
      <div class="row">
        {field('name', 'Name', 'e.g. on-call phone')}
        <div class="field">
          <label for="kind">Kind</label>
          <select id="kind" name="kind">
            {['webhook', 'ntfy', 'gotify', 'email'].map((k) => (
              <option value={k} selected={str(v, 'kind') === k}>
                {k}
              </option>
            ))}
          </select>
        </div>
      </div>
      <fieldset>
        <legend>Webhook, ntfy, Gotify</legend>
        {field(
          'url',
          'URL',
          'https:// only to the URL entered (no redirects); ntfy: the topic URL; Gotify: the server',
          'url',
        )}
        {field('title_prefix', 'ntfy title prefix', 'default Gatehouse')}
        {field('priority', 'Priority', 'ntfy 1–5 (default 4), Gotify 0–10 (default 8)')}
        {field('tags', 'ntfy tags', 'comma-separated, e.g. warning,skull')}
      </fieldset>
      <fieldset>
        <legend>Email (SMTP)</legend>
        {field('host', 'SMTP host', 'e.g. smtp.example.com')}
        {field('port', 'Port', '587 (STARTTLS) or 465 (TLS)')}
        <div class="field">
          <label for="tls">TLS</label>
          <select id="tls" name="tls">
            {[
              ['starttls', 'STARTTLS (required)'],
              ['tls', 'TLS from the start'],
              ['none', 'none (plain text: LAN relays only)'],
            ].map(([k, l]) => (
              <option value={k} selected={(str(v, 'tls') || 'starttls') === k}>
                {l}
              </option>
            ))}
          </select>
        </div>
        {field('user', 'SMTP user', 'empty: no login')}
        {field('from', 'From', 'gatehouse@example.com')}
        {field('to', 'To', 'comma-separated, up to 10')}
      </fieldset>
      {field(
        'secret',
        'Secret / token / password',
        props.editing
          ? `write-only; stored: ${props.editing.secrets_set.join(', ') || 'none'}; leave empty to keep`
          : 'webhook signing secret (empty: generated and shown once), ntfy/Gotify token, SMTP password',
        'password',
      )}
      <button type="submit">{props.editing ? 'Save' : 'Create channel'}</button>
    </form>
  );
}

/** Alerts: what holds now, the channels with a send-test button each, and the form for a new one. */
export function AlertsPage(props: {
  meta: PageMeta;
  channels: Channel[];
  active: Active[];
  values?: Form;
  errors?: FormErrors;
  createdSecret?: { name: string; secret: string } | undefined;
}) {
  const m = props.meta;
  return (
    <Layout meta={m}>
      <h1>Alerts</h1>
      {props.createdSecret ? (
        <div class="once" role="status">
          <p>
            Webhook “{props.createdSecret.name}” signs with this secret; copy it now, it is shown only once:{' '}
            <code id="new-secret">{props.createdSecret.secret}</code>
          </p>
        </div>
      ) : null}
      <h2>Active</h2>
      {props.active.length === 0 ? (
        <p>Nothing is wrong right now.</p>
      ) : (
        <ul>
          {props.active.map((a) => (
            <li>
              <Badge tone={a.fired_at ? 'bad' : 'warn'}>{a.fired_at ? 'firing' : 'pending'}</Badge> {a.subject} — since{' '}
              {ago(a.since)}
              {/* What the notice says, e.g. the CA's error for a failing certificate. */}
              <br />
              <small class="alert-message">{a.message}</small>
            </li>
          ))}
        </ul>
      )}
      <h2>Channels</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Goes to</th>
            <th scope="col">Last delivery</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {props.channels.map((c) => (
            <tr id={`channel-${c.id}`}>
              <td>
                {c.name} {c.enabled ? null : <Badge tone="muted">off</Badge>}
              </td>
              <td>{c.kind}</td>
              <td>
                <code>{target(c)}</code>
              </td>
              <td>
                {c.last_delivery_at ? (
                  c.last_delivery_error ? (
                    <Badge tone="bad">failed: {c.last_delivery_error}</Badge>
                  ) : (
                    <Badge tone="ok">ok {ago(c.last_delivery_at)}</Badge>
                  )
                ) : (
                  '—'
                )}
              </td>
              <td>
                <form method="post" action={`/alerts/channels/${c.id}/test`} class="inline">
                  <Csrf token={m.csrf} />
                  <button type="submit">Send test</button>
                </form>{' '}
                <a href={`/alerts/channels/${c.id}`}>Edit</a>{' '}
                <form method="post" action={`/alerts/channels/${c.id}/delete`} class="inline">
                  <Csrf token={m.csrf} />
                  <button type="submit" class="danger">
                    Delete
                  </button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ChannelForm
        csrf={m.csrf}
        action="/alerts/channels"
        values={props.values ?? { kind: 'webhook' }}
        errors={props.errors}
      />
      <p>
        Thresholds (offline, drift, repeat interval…) are the <code>alerts</code> setting:{' '}
        <code>PATCH /api/v1/settings</code>.
      </p>
    </Layout>
  );
}
