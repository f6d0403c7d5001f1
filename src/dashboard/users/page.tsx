import { ADMIN_ROLES, type AdminRole } from '../../auth/roles.ts';
import type { PublicUser } from '../../schemas/users.ts';
import { CopyButton } from '../shared/copy.tsx';
import { type Form, type FormErrors, str } from '../shared/forms.ts';
import { Badge, Csrf, ErrorSummary, Layout, type PageMeta, TextField } from '../shared/layout.tsx';

const ROLE_HINT: Record<AdminRole, string> = {
  owner: 'owner — everything',
  admin: 'admin — all but owners',
  operator: 'operator — peers, routes, gateways',
  viewer: 'viewer — read-only',
};

function RoleSelect({ id, name, value }: { id: string; name: string; value: string }) {
  return (
    <select id={id} name={name}>
      {ADMIN_ROLES.map((r) => (
        <option value={r} selected={r === value}>
          {ROLE_HINT[r]}
        </option>
      ))}
    </select>
  );
}

function state(u: PublicUser) {
  if (u.status === 'disabled') return <Badge tone="muted">disabled</Badge>;
  if (u.status === 'invited') return <Badge tone="warn">invited</Badge>;
  return <Badge tone="ok">active</Badge>;
}

/** Admin users: invite (the link shown once), change role, disable/enable, delete. */
export function UsersPage(props: {
  meta: PageMeta;
  users: PublicUser[];
  invited?: { username: string; url: string } | undefined;
  values?: Form;
  errors?: FormErrors;
}) {
  const { meta: m, invited } = props;
  const e = props.errors?.fields ?? {};
  return (
    <Layout meta={m}>
      <h1>Users</h1>
      {invited ? (
        <div class="once" role="status">
          <p>
            <strong>Invite link for {invited.username}.</strong> It works once; copy it now.
          </p>
          <div class="copyable">
            <code id="invite-url">{invited.url}</code>
            <CopyButton target="invite-url" label="Copy link" />
          </div>
        </div>
      ) : null}
      <form method="post" action="/users" class="card" novalidate>
        <h2>Invite a user</h2>
        <Csrf token={m.csrf} />
        <ErrorSummary summary={props.errors?.summary} />
        <div class="row">
          <TextField name="username" label="User name" value={str(props.values ?? {}, 'username')} error={e.username} />
          <TextField
            name="email"
            label="E-mail (optional)"
            type="email"
            value={str(props.values ?? {}, 'email')}
            error={e.email}
          />
          <div class="field">
            <label for="invite-role">Role</label>
            <RoleSelect id="invite-role" name="role" value={str(props.values ?? {}, 'role') || 'viewer'} />
            {e.role ? <p class="field-error">{e.role}</p> : null}
          </div>
        </div>
        <button type="submit">Invite</button>
      </form>
      <table class="list">
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">State</th>
            <th scope="col">Role</th>
            <th scope="col">Second factors</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {props.users.map((u) => (
            <tr id={`user-${u.id}`}>
              <td>
                {u.username}
                {u.email ? <div class="hint">{u.email}</div> : null}
              </td>
              <td>{state(u)}</td>
              <td>
                <form method="post" action={`/users/${u.id}/role`} class="inline">
                  <Csrf token={m.csrf} />
                  <label class="visually-hidden" for={`role-${u.id}`}>
                    Role of {u.username}
                  </label>
                  <RoleSelect id={`role-${u.id}`} name="role" value={u.role} />
                  <button type="submit" class="secondary">
                    Change role
                  </button>
                </form>
                <span class="role-now">{u.role}</span>
              </td>
              <td>
                {u.totp_enabled ? 'TOTP' : ''} {u.passkeys > 0 ? `${u.passkeys} passkey(s)` : ''}
              </td>
              <td>
                <form
                  method="post"
                  action={`/users/${u.id}/${u.status === 'disabled' ? 'enable' : 'disable'}`}
                  class="inline"
                >
                  <Csrf token={m.csrf} />
                  <button type="submit" class="secondary">
                    {u.status === 'disabled' ? 'Enable' : 'Disable'}
                  </button>
                </form>
                {u.status === 'invited' ? (
                  <form method="post" action={`/users/${u.id}/invite`} class="inline">
                    <Csrf token={m.csrf} />
                    <button type="submit" class="secondary">
                      New invite link
                    </button>
                  </form>
                ) : null}
                <a href={`/users/${u.id}/delete`} class="danger">
                  Delete
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}
