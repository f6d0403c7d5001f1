import { type Context, Hono } from 'hono';
import { AppError } from '../../errors.ts';
import { anonymousContext } from '../../http/middleware.ts';
import type { AppDeps, AppEnv } from '../../http/types.ts';
import { InviteTokenSchema } from '../../schemas/users.ts';
import { acceptInvite, openInvite } from '../../services/users/accept.ts';
import { INVITE_PATH } from '../../services/users/invite.ts';
import { str } from '../shared/forms.ts';
import { Bare, Csrf } from '../shared/layout.tsx';
import { page } from '../shared/render.ts';
import { checkLoginCsrf, type DashEnv, formOf, loginCsrf } from '../shared/session.ts';

const GONE = 'This invite link is invalid, used or expired. Ask an admin for a new one.';

function InvitePage(props: { csrf: string; username: string; error?: string | undefined }) {
  return (
    <Bare title="Set your password">
      <h1>Welcome, {props.username}</h1>
      <p>Choose the password you will log in with (at least 12 characters).</p>
      {props.error ? (
        <p class="error-summary" role="alert">
          {props.error}
        </p>
      ) : null}
      <form method="post" class="stack">
        <Csrf token={props.csrf} />
        <label for="password">New password</label>
        <input id="password" name="password" type="password" autocomplete="new-password" required minlength={12} />
        <button type="submit">Set password</button>
      </form>
    </Bare>
  );
}

const message =
  (text: string, status: 200 | 404 = 200) =>
  (c: Context) =>
    page(
      c,
      <Bare title="Invite">
        <p>{text}</p>
        <p>
          <a href="/login">Log in</a>
        </p>
      </Bare>,
      status,
    );

/** The invite link's page: the invitee sets their password (once; the link dies with it). No session needed. */
export function inviteDashboard(deps: AppDeps) {
  const app = new Hono<DashEnv>();
  const path = `${INVITE_PATH}/:token`;

  app.get(path, async (c) => {
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'no-referrer');
    const token = InviteTokenSchema.safeParse(c.req.param('token'));
    const found = token.success ? await openInvite({ db: deps.db, token: token.data, now: deps.now() }) : null;
    if (!found) return message(GONE, 404)(c);
    return page(c, <InvitePage csrf={loginCsrf(c)} username={found.user.username} />);
  });

  app.post(path, async (c) => {
    c.header('Cache-Control', 'no-store');
    const form = await formOf(c);
    const token = InviteTokenSchema.safeParse(c.req.param('token'));
    const found = token.success ? await openInvite({ db: deps.db, token: token.data, now: deps.now() }) : null;
    if (!found || !token.success) return message(GONE, 404)(c);
    const again = (error: string) =>
      page(c, <InvitePage csrf={loginCsrf(c)} username={found.user.username} error={error} />, 422);
    if (!checkLoginCsrf(c, form)) return again('The form expired; please try again.');
    try {
      await acceptInvite({
        ctx: anonymousContext(deps, c as unknown as Context<AppEnv>),
        input: { token: token.data, password: str(form, 'password') },
      });
    } catch (err) {
      if (err instanceof AppError && err.code === 'validation_failed')
        return again(`Password ${err.message.replace(/^password: /, '')}`);
      if (err instanceof AppError && err.code === 'unauthorized') return message(GONE, 404)(c);
      throw err;
    }
    return message('Your password is set. Log in with your user name and it.')(c);
  });
  return app;
}
