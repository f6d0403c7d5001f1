import type { Hono, MiddlewareHandler } from 'hono';
import type { AppDeps } from '../http/types.ts';
import { CreateTokenSchema, type PublicToken } from '../schemas/tokens.ts';
import { getSettings } from '../services/settings/get.ts';
import { createToken } from '../services/tokens/create.ts';
import { listTokens } from '../services/tokens/list.ts';
import { revokeToken } from '../services/tokens/revoke.ts';
import { type Form, type FormErrors, str, toFormErrors } from './forms.ts';
import {
  ago,
  Badge,
  Csrf,
  describedBy,
  ErrorSummary,
  FieldError,
  Layout,
  type PageMeta,
  TextField,
} from './layout.tsx';
import { OnceStore } from './once.ts';
import { meta, page } from './render.ts';
import { type DashEnv, formOf, redirect } from './session.ts';

function tokenState(t: PublicToken) {
  if (t.revoked_at) return <Badge tone="muted">revoked</Badge>;
  if (t.expires_at && Date.parse(t.expires_at) <= Date.now()) return <Badge tone="warn">expired</Badge>;
  return <Badge tone="ok">active</Badge>;
}

function TokensPage(props: {
  meta: PageMeta;
  tokens: PublicToken[];
  created?: { name: string; token: string };
  values?: Form;
  errors?: FormErrors;
}) {
  const { meta: m, tokens, created } = props;
  const e = props.errors?.fields ?? {};
  const scope = str(props.values ?? {}, 'scope') || 'read';
  return (
    <Layout meta={m}>
      <h1>API tokens</h1>
      {created ? (
        <div class="once" role="status">
          <p>
            <strong>Token “{created.name}” created.</strong> Copy it now: it is shown only this once.
          </p>
          <code id="new-token">{created.token}</code>
        </div>
      ) : null}
      <form method="post" action="/tokens" class="card" novalidate>
        <h2>New token</h2>
        <Csrf token={m.csrf} />
        <ErrorSummary summary={props.errors?.summary} />
        <div class="row">
          <TextField
            name="name"
            label="Name"
            value={str(props.values ?? {}, 'name')}
            error={e.name}
            hint="What uses it, e.g. backup script"
          />
          <div class="field">
            <label for="scope">Scope</label>
            <select id="scope" name="scope" aria-describedby={describedBy('scope', e.scope, true)}>
              {[
                ['read', 'read — GET only'],
                ['write', 'write — read and changes'],
                ['admin', 'admin — also tokens and settings'],
              ].map(([v, l]) => (
                <option value={v} selected={v === scope}>
                  {l}
                </option>
              ))}
            </select>
            <p class="hint" id="scope-hint">
              Least privilege: read is enough for monitoring.
            </p>
            <FieldError id="scope" error={e.scope} />
          </div>
          <TextField
            name="expires_at"
            label="Expires (UTC)"
            type="datetime-local"
            value={str(props.values ?? {}, 'expires_at')}
            error={e.expires_at}
            hint="Optional"
          />
          <button type="submit" class="primary">
            Create token
          </button>
        </div>
      </form>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Prefix</th>
              <th scope="col">Scope</th>
              <th scope="col" class="opt">
                Last used
              </th>
              <th scope="col">State</th>
              <th scope="col" class="actions">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.length === 0 ? (
              <tr>
                <td colspan={6} class="empty">
                  No tokens yet.
                </td>
              </tr>
            ) : (
              tokens.map((t) => (
                <tr>
                  <td>{t.name}</td>
                  <td class="mono">{t.prefix}…</td>
                  <td>{t.scope}</td>
                  <td class="opt">{ago(t.last_used_at)}</td>
                  <td>{tokenState(t)}</td>
                  <td class="actions">
                    {t.revoked_at ? null : (
                      <form method="post" action={`/tokens/${t.id}/revoke`} class="inline">
                        <Csrf token={m.csrf} />
                        <button type="submit" class="small danger" aria-label={`Revoke token ${t.name}`}>
                          Revoke
                        </button>
                      </form>
                    )}
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
    </Layout>
  );
}

export function registerTokens(app: Hono<DashEnv>, _deps: AppDeps, session: MiddlewareHandler<DashEnv>) {
  const justCreated = new OnceStore<{ name: string; token: string }>();

  app.get('/tokens', session, async (c) =>
    page(
      c,
      <TokensPage
        meta={meta(c, 'API tokens')}
        tokens={await listTokens({ ctx: c.get('ctx') })}
        created={justCreated.take(c.get('csrfToken') ?? '')}
      />,
    ),
  );

  app.post('/tokens', session, async (c) => {
    const ctx = c.get('ctx');
    const form = await formOf(c);
    const expiry = str(form, 'expires_at');
    try {
      const input = CreateTokenSchema.parse({
        name: str(form, 'name'),
        scope: str(form, 'scope') || 'read',
        expires_at: expiry ? (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(expiry) ? `${expiry}:00Z` : expiry) : null,
      });
      const created = await createToken({ ctx, input });
      justCreated.put(c.get('csrfToken') ?? '', { name: created.name, token: created.token });
      return redirect(c, '/tokens');
    } catch (err) {
      const errors = toFormErrors(err, ['name', 'scope', 'expires_at']);
      return page(
        c,
        <TokensPage meta={meta(c, 'API tokens')} tokens={await listTokens({ ctx })} values={form} errors={errors} />,
        422,
      );
    }
  });

  app.post('/tokens/:id/revoke', session, async (c) => {
    const id = Number(c.req.param('id'));
    await revokeToken({ ctx: c.get('ctx'), input: { id: Number.isInteger(id) ? id : 0 } });
    return redirect(c, '/tokens?done=token-revoked');
  });
}

export function registerSettings(app: Hono<DashEnv>, _deps: AppDeps, session: MiddlewareHandler<DashEnv>) {
  app.get('/settings', session, async (c) => {
    const s = await getSettings({ ctx: c.get('ctx') });
    const loaded = s.geoip.loaded ?? {};
    return page(
      c,
      <Layout meta={meta(c, 'Settings')}>
        <h1>Settings</h1>
        <p class="muted">These come from the environment (see the README) and are read-only here.</p>
        <section class="card" aria-labelledby="geoip-h">
          <h2 id="geoip-h">GeoIP database</h2>
          <dl class="facts">
            <dt>Source</dt>
            <dd>{s.geoip.source}</dd>
            <dt>File</dt>
            <dd class="mono">{s.geoip.path ?? '—'}</dd>
            <dt>Type</dt>
            <dd>{String(loaded.database_type ?? '—')}</dd>
            <dt>Built</dt>
            <dd>{String(loaded.build_time ?? 'not loaded by the data plane')}</dd>
            <dt>Variable</dt>
            <dd class="mono">{s.geoip.env}</dd>
          </dl>
        </section>
        <section class="card" aria-labelledby="l4-h">
          <h2 id="l4-h">Layer-4 listeners</h2>
          <dl class="facts">
            <dt>Blocked ports</dt>
            <dd class="mono">{s.l4.blocked_ports.join(', ')}</dd>
            <dt>Largest range</dt>
            <dd>{s.l4.max_port_range} ports</dd>
            <dt>Listen address</dt>
            <dd class="mono">{s.l4.listen_host ?? 'all addresses'}</dd>
            <dt>Gateway forwarding ports</dt>
            <dd class="mono">{s.gateway_forward_ports}</dd>
            <dt>Variables</dt>
            <dd class="mono">{s.l4.env.join(', ')}</dd>
          </dl>
        </section>
        <section class="card" aria-labelledby="tls-h">
          <h2 id="tls-h">Server</h2>
          <dl class="facts">
            <dt>Public domain</dt>
            <dd>{s.public_domain ?? '—'}</dd>
            <dt>TLS issuer</dt>
            <dd>{s.tls_issuer}</dd>
          </dl>
        </section>
      </Layout>,
    );
  });
}
