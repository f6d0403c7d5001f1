import { raw } from 'hono/html';
import type { PublicAuthUser } from '../../../schemas/route-auth.ts';
import type { PublicRoute } from '../../../schemas/routes.ts';
import type { Form, FormErrors } from '../../shared/forms.ts';
import { str } from '../../shared/forms.ts';
import { ago, Badge, Csrf, ErrorSummary, type PageMeta, TextField } from '../../shared/layout.tsx';

/** A user just added, with the TOTP enrolment the service hands out once (src/services/route-auth/create-user.ts). */
export interface CreatedRouteUser {
  routeId: number;
  username: string;
  totp: { secret: string; otpauth_uri: string; qr_svg: string };
}

export interface RouteUsersProps {
  users: PublicAuthUser[];
  created?: CreatedRouteUser | undefined;
  values?: Form | undefined;
  errors?: FormErrors | undefined;
}

function Enrolment({ created }: { created: CreatedRouteUser }) {
  return (
    <div class="once" role="status" id="route-user-enrolment">
      <p>
        <strong>User “{created.username}” added.</strong> Give them the password and this TOTP secret now: it is shown
        only this once. They scan the code with an authenticator app; the route's login asks for a code from it when its
        login method is “Users with password and TOTP”.
      </p>
      <div class="enroll">
        <figure class="qr" role="img" aria-label={`QR code of the TOTP secret for ${created.username}`}>
          {raw(created.totp.qr_svg)}
        </figure>
        <p>
          Secret: <code class="secret">{created.totp.secret}</code>
        </p>
      </div>
    </div>
  );
}

/** A route's own users (per-user login on the route's domain): list, add (TOTP shown once), remove. */
export function RouteUsersSection(props: { meta: PageMeta; route: PublicRoute } & RouteUsersProps) {
  const { meta: m, route, users, created } = props;
  const e = props.errors?.fields ?? {};
  const v = props.values ?? {};
  return (
    <section class="card" aria-labelledby="users-h" id="users">
      <h2 id="users-h">Users</h2>
      <p class="hint">
        People who log in to {route.domain ?? route.name} with their own name and password (and TOTP code). The route
        asks for them when “Route login” above is on.
      </p>
      {created ? <Enrolment created={created} /> : null}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">TOTP</th>
              <th scope="col" class="opt">
                Last login
              </th>
              <th scope="col" class="actions">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.length === 0 ? (
              <tr>
                <td colspan={4} class="empty">
                  No users yet.
                </td>
              </tr>
            ) : (
              users.map((u) => (
                <tr>
                  <td>{u.username}</td>
                  <td>{u.totp_enrolled ? <Badge tone="ok">enrolled</Badge> : <Badge tone="muted">none</Badge>}</td>
                  <td class="opt">{ago(u.last_login_at)}</td>
                  <td class="actions">
                    <a href={`/routes/${route.id}/users/${u.id}/remove`} aria-label={`Remove ${u.username}`}>
                      Remove
                    </a>
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      <form method="post" action={`/routes/${route.id}/users`} novalidate>
        <h3>Add a user</h3>
        <Csrf token={m.csrf} />
        <ErrorSummary summary={props.errors?.summary} />
        <div class="row">
          <TextField
            name="username"
            id="route-user-username"
            label="Username"
            value={str(v, 'username')}
            error={e.username}
            hint="1–64 letters, digits or ._@- (sent to the service as Remote-User)"
            required
          />
          <TextField
            name="password"
            id="route-user-password"
            label="Password"
            type="password"
            autocomplete="new-password"
            error={e.password}
            hint="At least 8 characters"
            required
          />
          <button type="submit" class="primary">
            Add user
          </button>
        </div>
      </form>
    </section>
  );
}
