import type { PublicToken } from '../../schemas/tokens.ts';
import { CopyButton } from '../shared/copy.tsx';
import { type Form, type FormErrors, str } from '../shared/forms.ts';
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
} from '../shared/layout.tsx';

function tokenState(t: PublicToken) {
  if (t.revoked_at) return <Badge tone="muted">revoked</Badge>;
  if (t.expires_at && Date.parse(t.expires_at) <= Date.now()) return <Badge tone="warn">expired</Badge>;
  return <Badge tone="ok">active</Badge>;
}

/** API tokens: the create form (the new token shown once), and the list with revoke buttons. */
export function TokensPage(props: {
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
          <div class="copyable">
            <code id="new-token">{created.token}</code>
            <CopyButton target="new-token" label="Copy token" />
          </div>
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
                      <a
                        class="button small danger"
                        href={`/tokens/${t.id}/revoke`}
                        aria-label={`Revoke token ${t.name}`}
                      >
                        Revoke…
                      </a>
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
