import { Hono, type MiddlewareHandler } from 'hono';
import { isAdminRole } from '../../auth/roles.ts';
import type { Config } from '../../config/index.ts';
import { ValidationError } from '../../errors.ts';
import { dashboardOrigin } from '../../http/origin.ts';
import { InviteUserSchema } from '../../schemas/users.ts';
import { inviteUser, reissueInvite } from '../../services/users/invite.ts';
import { getUser, listUsers } from '../../services/users/list.ts';
import { deleteUser } from '../../services/users/remove.ts';
import { updateUser } from '../../services/users/update.ts';
import { ConfirmPage, isConfirmed, toConfirmPage } from '../shared/confirm.tsx';
import { str, toFormErrors } from '../shared/forms.ts';
import { OnceStore } from '../shared/once.ts';
import { meta, page } from '../shared/render.ts';
import { type DashEnv, formOf, redirect } from '../shared/session.ts';
import { UsersPage } from './page.tsx';

const userId = (raw: string) => (/^\d{1,9}$/.test(raw) ? Number(raw) : 0);

/** The users page: who administers this Gatehouse. Roles come from src/http/permissions.ts via `session`. */
export function usersDashboard(config: Config, session: MiddlewareHandler<DashEnv>) {
  const app = new Hono<DashEnv>();
  const justInvited = new OnceStore<{ username: string; url: string }>();

  app.get('/users', session, async (c) =>
    page(
      c,
      <UsersPage
        meta={meta(c, 'Users')}
        users={await listUsers({ ctx: c.get('ctx') })}
        invited={justInvited.take(c.get('csrfToken') ?? '')}
      />,
    ),
  );

  app.post('/users', session, async (c) => {
    const ctx = c.get('ctx');
    const form = await formOf(c);
    try {
      const input = InviteUserSchema.parse({
        username: str(form, 'username'),
        role: str(form, 'role'),
        email: str(form, 'email') || null,
      });
      const made = await inviteUser({ ctx, input, baseUrl: dashboardOrigin(config, c) });
      justInvited.put(c.get('csrfToken') ?? '', { username: made.username, url: made.invite_url });
      return redirect(c, '/users?done=user-invited');
    } catch (err) {
      const errors = toFormErrors(err, ['username', 'email', 'role']);
      return page(
        c,
        <UsersPage meta={meta(c, 'Users')} users={await listUsers({ ctx })} values={form} errors={errors} />,
        422,
      );
    }
  });

  app.post('/users/:id/role', session, async (c) => {
    const role = str(await formOf(c), 'role');
    if (!isAdminRole(role))
      throw new ValidationError([{ field: 'role', message: 'must be owner, admin, operator or viewer' }]);
    await updateUser({ ctx: c.get('ctx'), input: { id: userId(c.req.param('id')), role } });
    return redirect(c, '/users?done=user-saved');
  });

  for (const [verb, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    app.post(`/users/:id/${verb}`, session, async (c) => {
      await updateUser({ ctx: c.get('ctx'), input: { id: userId(c.req.param('id')), disabled } });
      return redirect(c, '/users?done=user-saved');
    });
  }

  app.post('/users/:id/invite', session, async (c) => {
    const made = await reissueInvite({
      ctx: c.get('ctx'),
      input: { id: userId(c.req.param('id')) },
      baseUrl: dashboardOrigin(config, c),
    });
    justInvited.put(c.get('csrfToken') ?? '', { username: made.username, url: made.invite_url });
    return redirect(c, '/users?done=user-invited');
  });

  app.get('/users/:id/delete', session, async (c) => {
    const user = await getUser({ ctx: c.get('ctx'), input: { id: userId(c.req.param('id')) } });
    return page(
      c,
      <ConfirmPage
        meta={meta(c, `Delete ${user.username}?`, '/users')}
        action={`/users/${user.id}/delete`}
        verb={`Delete ${user.username}`}
        consequences={[
          `${user.username} (${user.role}) can no longer log in; their sessions end at once.`,
          'Every API token they made is revoked. The audit log keeps their name.',
        ]}
        cancelHref="/users"
      />,
    );
  });

  app.post('/users/:id/delete', session, async (c) => {
    if (!isConfirmed(await formOf(c))) return toConfirmPage(c);
    await deleteUser({ ctx: c.get('ctx'), input: { id: userId(c.req.param('id')) } });
    return redirect(c, '/users?done=user-deleted');
  });
  return app;
}
