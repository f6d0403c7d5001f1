import type { PublicIdentityProvider } from '../../schemas/identity-providers.ts';
import { Check } from '../shared/controls.tsx';
import { type Form, type FormErrors, str } from '../shared/forms.ts';
import { Csrf, ErrorSummary, type PageMeta, TextField } from '../shared/layout.tsx';

export interface ProviderForm {
  values: Form;
  errors: FormErrors;
}

/** `group = role` per line ↔ the group→role list. */
export function groupRolesText(list: { group: string; role: string }[]): string {
  return list.map((m) => `${m.group} = ${m.role}`).join('\n');
}

export function parseGroupRoles(text: string): { group: string; role: string }[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(0, 201)
    .map((line) => {
      const at = line.lastIndexOf('=');
      return at < 0 ? { group: line, role: '' } : { group: line.slice(0, at).trim(), role: line.slice(at + 1).trim() };
    });
}

/**
 * OpenID Connect providers for the dashboard login: the list (with the callback to register at the provider),
 * a form to add one (checked with the provider before it is saved) and the SSO-only switch.
 */
export function IdentityProvidersCard({
  meta: m,
  providers,
  ssoOnly,
  form,
}: {
  meta: PageMeta;
  providers: PublicIdentityProvider[];
  ssoOnly: boolean;
  form?: ProviderForm | undefined;
}) {
  const v = (name: string, fallback = '') => (form ? str(form.values, name) : fallback);
  return (
    <section class="card" id="identity-providers" aria-labelledby="idp-h">
      <h2 id="idp-h">Identity providers (OpenID Connect)</h2>
      {providers.length === 0 ? (
        <p class="muted">None yet: admins log in with a password (and passkeys or TOTP).</p>
      ) : (
        <table>
          <caption class="visually-hidden">Identity providers</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Issuer</th>
              <th scope="col">Callback to register</th>
              <th scope="col">Groups → roles</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {providers.map((p) => (
              <tr>
                <td>{p.name}</td>
                <td class="mono">{p.issuer}</td>
                <td class="mono">{p.callback_url}</td>
                <td class="mono">{groupRolesText(p.group_roles) || '—'}</td>
                <td>
                  <form method="post" action={`/settings/identity-providers/${p.id}/delete`}>
                    <Csrf token={m.csrf} />
                    <button type="submit" class="danger">
                      Remove {p.name}
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <details open={form ? true : undefined}>
        <summary>Add a provider</summary>
        <form method="post" action="/settings/identity-providers" class="stack" novalidate>
          <Csrf token={m.csrf} />
          <ErrorSummary summary={form?.errors.summary} />
          <TextField name="name" label="Name" value={v('name')} error={form?.errors.fields.name} required />
          <TextField
            name="issuer"
            label="Issuer"
            value={v('issuer')}
            error={form?.errors.fields.issuer}
            placeholder="https://login.example.com/realms/main"
            hint="Exactly as the provider names itself; its discovery document is fetched and checked before saving."
            required
          />
          <TextField
            name="client_id"
            label="Client id"
            value={v('client_id')}
            error={form?.errors.fields.client_id}
            required
          />
          <TextField
            name="client_secret"
            label="Client secret"
            type="password"
            autocomplete="off"
            error={form?.errors.fields.client_secret}
            hint="Stored encrypted; tried at the provider's token endpoint before saving."
            required
          />
          <TextField
            name="scopes"
            label="Scopes"
            value={v('scopes', 'openid email profile groups')}
            error={form?.errors.fields.scopes}
          />
          <TextField
            name="groups_claim"
            label="Groups claim"
            value={v('groups_claim', 'groups')}
            error={form?.errors.fields.groups_claim}
          />
          <TextField
            name="email_claim"
            label="E-mail claim"
            value={v('email_claim', 'email')}
            error={form?.errors.fields.email_claim}
          />
          <div class="field">
            <label for="group_roles">Groups → roles</label>
            <textarea id="group_roles" name="group_roles" rows={3} aria-describedby="group_roles-hint">
              {v('group_roles')}
            </textarea>
            <p class="hint" id="group_roles-hint">
              One <span class="mono">group = role</span> per line (viewer, operator, admin, owner). Someone in none of
              these groups is refused.
            </p>
            {form?.errors.fields.group_roles ? (
              <p class="field-error" role="alert">
                {form.errors.fields.group_roles}
              </p>
            ) : null}
          </div>
          <button type="submit" class="primary">
            Check and add
          </button>
        </form>
      </details>
      <form method="post" action="/settings/sso-only">
        <Csrf token={m.csrf} />
        <Check
          name="sso_only"
          label="SSO only: turn passwords off (but for the break-glass owner, GATEHOUSE_BREAK_GLASS_OWNER)"
          on={ssoOnly}
        />
        {form?.errors.fields.sso_only ? (
          <p class="field-error" role="alert">
            SSO only {form.errors.fields.sso_only}
          </p>
        ) : null}
        <button type="submit">Save</button>
      </form>
    </section>
  );
}
