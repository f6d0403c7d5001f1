import type { AuthUserRemovalImpact } from '../../../services/route-auth/removal-impact.ts';
import { Csrf, ErrorSummary, Layout, type PageMeta } from '../../shared/layout.tsx';

/** The confirmation before a route user is removed: what it cuts, and why it may be refused. */
export function RemoveRouteUserPage(props: { meta: PageMeta; impact: AuthUserRemovalImpact; error?: string }) {
  const { meta: m, impact } = props;
  const { user, route } = impact;
  const where = route.domain ?? route.name;
  return (
    <Layout meta={m}>
      <h1>{m.title}</h1>
      <section class="card" aria-labelledby="remove-user-h">
        <h2 id="remove-user-h">
          Remove “{user.username}” from {route.name}?
        </h2>
        <ErrorSummary summary={props.error} />
        <ul>
          <li>
            {user.username} can no longer log in to {where}; their password and TOTP secret are deleted.
          </li>
          <li>
            {impact.open_sessions === 0
              ? 'They have no open session.'
              : `Their ${impact.open_sessions} open ${impact.open_sessions === 1 ? 'session ends' : 'sessions end'} at once.`}
          </li>
          {impact.last_way_in ? (
            <li>
              <strong>
                They are the last way into this route: set a shared password (login method “password”) or turn route
                login off first.
              </strong>
            </li>
          ) : null}
        </ul>
        {impact.last_way_in ? (
          <p>
            <a href={`/routes/${route.id}`}>Back to the route</a>
          </p>
        ) : (
          <form method="post" action={`/routes/${route.id}/users/${user.id}/delete`} class="row">
            <Csrf token={m.csrf} />
            <button type="submit" class="danger">
              Remove {user.username}
            </button>
            <a href={`/routes/${route.id}#users`}>Cancel</a>
          </form>
        )}
      </section>
    </Layout>
  );
}
