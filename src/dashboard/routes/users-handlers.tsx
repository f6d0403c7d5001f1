import type { Context, Hono, MiddlewareHandler } from 'hono';
import { ConflictError } from '../../errors.ts';
import { CreateAuthUserSchema } from '../../schemas/route-auth.ts';
import type { PublicRoute } from '../../schemas/routes.ts';
import { createAuthUser } from '../../services/route-auth/create-user.ts';
import { listAuthUsers } from '../../services/route-auth/list-users.ts';
import { authUserRemovalImpact } from '../../services/route-auth/removal-impact.ts';
import { removeAuthUser } from '../../services/route-auth/remove-user.ts';
import { type Form, str, toFormErrors } from '../shared/forms.ts';
import { OnceStore } from '../shared/once.ts';
import { meta, page } from '../shared/render.ts';
import { type DashEnv, formOf, redirect } from '../shared/session.ts';
import { RemoveRouteUserPage } from './pages/remove-user.tsx';
import type { CreatedRouteUser, RouteUsersProps } from './parts/route-users.tsx';

const USER_FIELDS = ['username', 'password'] as const;
const numericId = (raw: string | undefined) => (raw && /^\d{1,9}$/.test(raw) ? Number(raw) : 0);

/** The add-user form → the API's input. The name is trimmed; the password is taken as typed (spaces count). */
export function routeUserInput(form: Form) {
  const password = form.password;
  return { username: str(form, 'username'), password: typeof password === 'string' ? password : '' };
}

/**
 * The users section of a route's page (src/dashboard/routes/parts/route-users.tsx) and its actions: add a
 * user (the TOTP enrolment waits in a once-store for the next view, like new tokens), remove one after a
 * confirmation that says what it cuts. Thin: the service verbs in src/services/route-auth/ do the work.
 */
export function routeUsersDashboard() {
  const shown = new OnceStore<CreatedRouteUser>();

  /** What the route page shows in its users section; nothing for L4 routes (route auth is HTTP only). */
  const section = async (
    c: Context<DashEnv>,
    route: PublicRoute,
    extra: Pick<RouteUsersProps, 'values' | 'errors'> = {},
  ): Promise<RouteUsersProps | undefined> => {
    if (route.type !== 'http') return undefined;
    const users = await listAuthUsers({ ctx: c.get('ctx'), input: { routeId: route.id } });
    const created = shown.take(c.get('csrfToken') ?? '');
    return { users: users.data, created: created?.routeId === route.id ? created : undefined, ...extra };
  };

  const mount = (
    app: Hono<DashEnv>,
    session: MiddlewareHandler<DashEnv>,
    routePage: (
      c: Context<DashEnv>,
      id: number,
      users: Pick<RouteUsersProps, 'values' | 'errors'>,
    ) => Promise<Response>,
  ) => {
    app.post('/routes/:id/users', session, async (c) => {
      const id = numericId(c.req.param('id'));
      const form = await formOf(c);
      try {
        const input = CreateAuthUserSchema.parse(routeUserInput(form));
        const user = await createAuthUser({ ctx: c.get('ctx'), input: { routeId: id, ...input } });
        shown.put(c.get('csrfToken') ?? '', { routeId: id, username: user.username, totp: user.totp });
        return redirect(c, `/routes/${id}?done=route-user-added#users`);
      } catch (err) {
        // The password is never sent back into the page.
        return routePage(c, id, {
          values: { username: str(form, 'username') },
          errors: toFormErrors(err, USER_FIELDS),
        });
      }
    });

    const confirmPage = async (c: Context<DashEnv>, error?: string) => {
      const input = { routeId: numericId(c.req.param('id')), userId: numericId(c.req.param('userId')) };
      const impact = await authUserRemovalImpact({ ctx: c.get('ctx'), input });
      const m = meta(c, `Remove ${impact.user.username}`, '/routes');
      return page(c, <RemoveRouteUserPage meta={m} impact={impact} error={error} />, error ? 409 : 200);
    };

    app.get('/routes/:id/users/:userId/remove', session, (c) => confirmPage(c));

    app.post('/routes/:id/users/:userId/delete', session, async (c) => {
      const routeId = numericId(c.req.param('id'));
      try {
        await removeAuthUser({ ctx: c.get('ctx'), input: { routeId, userId: numericId(c.req.param('userId')) } });
      } catch (err) {
        if (err instanceof ConflictError) return confirmPage(c, err.message);
        throw err;
      }
      return redirect(c, `/routes/${routeId}?done=route-user-removed#users`);
    });
  };

  return { section, mount };
}
