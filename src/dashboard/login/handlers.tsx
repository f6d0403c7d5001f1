import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { FailureThrottle } from '../../auth/throttle.ts';
import { AppError } from '../../errors.ts';
import { anonymousContext, clearSessionCookie, readSessionCookie, writeSessionCookie } from '../../http/middleware.ts';
import type { AppDeps, AppEnv } from '../../http/types.ts';
import { logout, SESSION_TTL_MS } from '../../services/sessions/index.ts';
import { finishTotpLogin, PENDING_TTL_MS, startLogin } from '../../services/sessions/two-step.ts';
import { str } from '../shared/forms.ts';
import { page } from '../shared/render.ts';
import { checkLoginCsrf, type DashEnv, formOf, loginCsrf, redirect } from '../shared/session.ts';
import { LoginPage, TotpPage } from './pages.tsx';

/** After login, only our own pages: a path, not a URL that leaves (//evil, /\evil) or loops to /login. */
function safeNext(value: string | undefined): string {
  if (!value || !/^\/(?![/\\])[\w\-./?=&%]*$/.test(value) || value.startsWith('/login')) return '/';
  return value;
}

/**
 * Logging in (password, then a TOTP code when the admin has one) and out. Failed attempts are throttled per
 * client IP; a pending TOTP login dies after 5 wrong codes.
 */
export function loginDashboard(deps: AppDeps, session: MiddlewareHandler<DashEnv>) {
  const app = new Hono<DashEnv>();
  // Per client IP, like the API's login: 5 free failures, then a doubling wait.
  const throttle = new FailureThrottle({
    freeAttempts: 5,
    baseDelayMs: 1000,
    maxDelayMs: 300_000,
    forgetAfterMs: 3_600_000,
  });
  const totpFailures = new Map<string, number>();

  const setSessionCookie = (c: Context, token: string, maxAgeMs: number) =>
    writeSessionCookie(c, token, maxAgeMs / 1000);

  app.get('/login', (c) => {
    const notice = c.req.query('expired')
      ? 'Your session has expired. Please log in again.'
      : c.req.query('out')
        ? 'You are logged out.'
        : undefined;
    return page(c, <LoginPage csrf={loginCsrf(c)} notice={notice} next={safeNext(c.req.query('next'))} />);
  });

  app.post('/login', async (c) => {
    const form = await formOf(c);
    const csrf = loginCsrf(c);
    const next = safeNext(str(form, 'next'));
    const username = str(form, 'username');
    const again = (error: string, status: 401 | 403 | 422 | 429 = 401) =>
      page(c, <LoginPage csrf={csrf} error={error} username={username} next={next} />, status as 422);
    if (!checkLoginCsrf(c, form)) return again('The form expired; please try again.', 403);
    const ctx = anonymousContext(deps, c as unknown as Context<AppEnv>);
    const key = ctx.ip ?? 'unknown';
    const wait = throttle.retryAfterMs(key, Date.now());
    if (wait > 0) return again(`Too many failed logins; wait ${Math.ceil(wait / 1000)} s and try again.`, 429);
    if (!username || !form.password) return again('Enter your username and password.', 422);
    try {
      const result = await startLogin({
        ctx,
        input: { username, password: String(form.password), userAgent: c.req.header('user-agent') },
      });
      throttle.succeed(key);
      if (result.step === 'totp') {
        setSessionCookie(c, result.token, PENDING_TTL_MS);
        return page(c, <TotpPage csrf={csrf} next={next} />);
      }
      setSessionCookie(c, result.token, SESSION_TTL_MS);
      return c.redirect(next, 303);
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'unauthorized')) throw err;
      throttle.fail(key, Date.now());
      return again('Invalid username or password.');
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
    const key = ctx.ip ?? 'unknown';
    const wait = throttle.retryAfterMs(key, Date.now());
    if (wait > 0)
      return page(
        c,
        <TotpPage csrf={csrf} next={next} error={`Too many failed attempts; wait ${Math.ceil(wait / 1000)} s.`} />,
        422,
      );
    try {
      const done = await finishTotpLogin({
        ctx,
        input: { pendingToken: pending, code: str(form, 'code'), userAgent: c.req.header('user-agent') },
      });
      throttle.succeed(key);
      totpFailures.delete(pending);
      setSessionCookie(c, done.token, SESSION_TTL_MS);
      return c.redirect(next, 303);
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'unauthorized')) throw err;
      throttle.fail(key, Date.now());
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
