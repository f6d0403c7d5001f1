import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { ADMIN_LOGIN_SCOPE, type LoginThrottle } from '../../auth/login-throttle.ts';
import { AppError } from '../../errors.ts';
import { anonymousContext, clearSessionCookie, readSessionCookie, writeSessionCookie } from '../../http/middleware.ts';
import type { AppDeps, AppEnv } from '../../http/types.ts';
import { loginOptions } from '../../services/identity-providers/login-options.ts';
import { logout, SESSION_TTL_MS } from '../../services/sessions/index.ts';
import { finishTotpLogin, PENDING_TTL_MS, pendingLoginUser, startLogin } from '../../services/sessions/two-step.ts';
import { str } from '../shared/forms.ts';
import { page } from '../shared/render.ts';
import { checkLoginCsrf, type DashEnv, formOf, loginCsrf, redirect } from '../shared/session.ts';
import { LoginPage, TotpPage } from './pages.tsx';

/** After login, only our own pages: a path, not a URL that leaves (//evil, /\evil) or loops to /login. */
export function safeNext(value: string | undefined): string {
  if (!value || !/^\/(?![/\\])[\w\-./?=&%]*$/.test(value) || value.startsWith('/login')) return '/';
  return value;
}

/**
 * Logging in (password, then a TOTP code when the admin has one) and out. Failed attempts (wrong password or
 * wrong code alike) are throttled per client and per account with the API's login (`throttle` is shared); only
 * a whole login clears the client's count, so a right password does not buy more code guesses. A pending TOTP
 * login also dies after 5 wrong codes.
 */
export function loginDashboard(deps: AppDeps, session: MiddlewareHandler<DashEnv>, throttle: LoginThrottle) {
  const app = new Hono<DashEnv>();
  const totpFailures = new Map<string, number>();

  const setSessionCookie = (c: Context, token: string, maxAgeMs: number) =>
    writeSessionCookie(c, token, maxAgeMs / 1000);

  app.get('/login', async (c) => {
    const notice = c.req.query('expired')
      ? 'Your session has expired. Please log in again.'
      : c.req.query('out')
        ? 'You are logged out.'
        : undefined;
    const sso = await loginOptions(deps.db, deps.now());
    return page(c, <LoginPage csrf={loginCsrf(c)} notice={notice} next={safeNext(c.req.query('next'))} sso={sso} />);
  });

  app.post('/login', async (c) => {
    const form = await formOf(c);
    const csrf = loginCsrf(c);
    const next = safeNext(str(form, 'next'));
    const username = str(form, 'username');
    const sso = await loginOptions(deps.db, deps.now());
    const again = (error: string, status: 401 | 403 | 422 | 429 = 401) =>
      page(c, <LoginPage csrf={csrf} error={error} username={username} next={next} sso={sso} />, status as 422);
    if (!checkLoginCsrf(c, form)) return again('The form expired; please try again.', 403);
    const ctx = anonymousContext(deps, c as unknown as Context<AppEnv>);
    const attempt = { scope: ADMIN_LOGIN_SCOPE, account: username, ip: ctx.ip ?? 'unknown' };
    const wait = throttle.retryAfterSeconds(attempt, deps.now().getTime());
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      return again(`Too many failed logins; wait ${wait} s and try again.`, 429);
    }
    if (!username || !form.password) return again('Enter your username and password.', 422);
    try {
      const result = await startLogin({
        ctx,
        input: { username, password: String(form.password), userAgent: c.req.header('user-agent') },
      });
      // A right password with a code still to come clears nothing: the code step is guessed too.
      if (result.step === 'totp') {
        setSessionCookie(c, result.token, PENDING_TTL_MS);
        return page(c, <TotpPage csrf={csrf} next={next} factors={result.factors} />);
      }
      throttle.succeed(attempt);
      setSessionCookie(c, result.token, SESSION_TTL_MS);
      return c.redirect(next, 303);
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'unauthorized')) throw err;
      throttle.fail(attempt, deps.now().getTime());
      return again(
        err.message.includes('SSO only')
          ? 'Passwords are turned off: log in with your identity provider.'
          : 'Invalid username or password.',
      );
    }
  });

  app.post('/login/totp', async (c) => {
    const form = await formOf(c);
    const csrf = loginCsrf(c);
    const next = safeNext(str(form, 'next'));
    if (!checkLoginCsrf(c, form))
      return page(c, <TotpPage csrf={csrf} next={next} error="The form expired; please try again." />, 422);
    const pending = readSessionCookie(c);
    if (!pending) return c.redirect('/login?expired=1', 303);
    const ctx = anonymousContext(deps, c as unknown as Context<AppEnv>);
    const username = (await pendingLoginUser({ ctx, pendingToken: pending }))?.username ?? null;
    if (username === null) {
      clearSessionCookie(c);
      return page(c, <LoginPage csrf={csrf} error="The login expired; start again." next={next} />, 422);
    }
    const attempt = { scope: ADMIN_LOGIN_SCOPE, account: username, ip: ctx.ip ?? 'unknown' };
    const wait = throttle.retryAfterSeconds(attempt, deps.now().getTime());
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      const error = `Too many failed attempts; wait ${wait} s.`;
      return page(c, <TotpPage csrf={csrf} next={next} error={error} />, 429 as 422);
    }
    try {
      const done = await finishTotpLogin({
        ctx,
        input: { pendingToken: pending, code: str(form, 'code'), userAgent: c.req.header('user-agent') },
      });
      throttle.succeed(attempt);
      totpFailures.delete(pending);
      setSessionCookie(c, done.token, SESSION_TTL_MS);
      return c.redirect(next, 303);
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'unauthorized')) throw err;
      throttle.fail(attempt, deps.now().getTime());
      // A pending login dies after 5 wrong codes: guessing needs the password again.
      const failures = (totpFailures.get(pending) ?? 0) + 1;
      if (failures >= 5 || err.message.includes('expired')) {
        totpFailures.delete(pending);
        await logout({ db: deps.db, token: pending });
        clearSessionCookie(c);
        return page(
          c,
          <LoginPage csrf={csrf} error="Too many wrong codes or the login expired; start again." next={next} />,
          422,
        );
      }
      totpFailures.set(pending, failures);
      if (totpFailures.size > 10_000) totpFailures.clear();
      return page(
        c,
        <TotpPage
          csrf={csrf}
          next={next}
          error="That code is not valid. Check the time on your device and try again."
        />,
        422,
      );
    }
  });

  app.post('/logout', session, async (c) => {
    const token = readSessionCookie(c);
    if (token) await logout({ db: deps.db, token });
    clearSessionCookie(c);
    return redirect(c, '/login?out=1');
  });

  return app;
}
