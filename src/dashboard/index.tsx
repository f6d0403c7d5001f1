import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { type Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { FailureThrottle } from '../auth/throttle.ts';
import { AppError } from '../errors.ts';
import { statusOf } from '../http/errors.ts';
import { anonymousContext, SESSION_COOKIE } from '../http/middleware.ts';
import type { AppDeps, AppEnv } from '../http/types.ts';
import { confirmTotpEnrollment, disableTotp, startTotpEnrollment, totpStatus } from '../services/admin/totp.ts';
import { logout, SESSION_TTL_MS } from '../services/sessions/index.ts';
import { finishTotpLogin, PENDING_TTL_MS, startLogin } from '../services/sessions/two-step.ts';
import { registerSettings, registerTokens } from './admin.tsx';
import { str, toFormErrors } from './forms.ts';
import { gatewaysCard, registerGateways } from './gateways.tsx';
import { Bare, Layout } from './layout.tsx';
import { AccountPage } from './pages/account.tsx';
import { LoginPage, TotpPage } from './pages/login.tsx';
import { overviewPage } from './pages/overview.tsx';
import { registerPeers } from './peers.tsx';
import { meta, page } from './render.ts';
import { registerRoutes } from './routes.tsx';
import { checkLoginCsrf, type DashEnv, formOf, loginCsrf, redirect, requireSession } from './session.ts';

const require = createRequire(import.meta.url);
const ASSETS: Record<string, { file: string; type: string }> = {
  'app.css': { file: new URL('./assets/app.css', import.meta.url).pathname, type: 'text/css; charset=utf-8' },
  'app.js': { file: new URL('./assets/app.js', import.meta.url).pathname, type: 'text/javascript; charset=utf-8' },
  'htmx.min.js': { file: require.resolve('htmx.org/dist/htmx.min.js'), type: 'text/javascript; charset=utf-8' },
};

/** After login, only our own pages: a path, not a URL that leaves (//evil, /\evil) or loops to /login. */
function safeNext(value: string | undefined): string {
  if (!value || !/^\/(?![/\\])[\w\-./?=&%]*$/.test(value) || value.startsWith('/login')) return '/';
  return value;
}

/**
 * The dashboard: server-rendered pages over the same service verbs as the API. Mounted at `/` by createApp;
 * every path is registered explicitly (no `use('*')`), so nothing here touches `/api/v1`.
 */
export function dashboardApp(deps: AppDeps) {
  const app = new Hono<DashEnv>();
  const session = requireSession(deps);
  const cache = new Map<string, string>();
  // Per client IP, like the API's login: 5 free failures, then a doubling wait.
  const throttle = new FailureThrottle({
    freeAttempts: 5,
    baseDelayMs: 1000,
    maxDelayMs: 300_000,
    forgetAfterMs: 3_600_000,
  });
  const totpFailures = new Map<string, number>();

  app.get('/assets/:name', async (c) => {
    const asset = ASSETS[c.req.param('name')];
    if (!asset) return c.notFound();
    let body = cache.get(asset.file);
    if (body === undefined) {
      body = await readFile(asset.file, 'utf8');
      cache.set(asset.file, body);
    }
    c.header('Content-Type', asset.type);
    c.header('Cache-Control', 'public, max-age=300');
    c.header('X-Content-Type-Options', 'nosniff');
    return c.body(body);
  });

  const setSessionCookie = (c: Parameters<typeof getCookie>[0], token: string, maxAgeMs: number) =>
    setCookie(c, SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: new URL(c.req.url).protocol === 'https:',
      path: '/',
      maxAge: Math.floor(maxAgeMs / 1000),
    });

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
    const pending = getCookie(c, SESSION_COOKIE);
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
        deleteCookie(c, SESSION_COOKIE, { path: '/' });
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
    const token = getCookie(c, SESSION_COOKIE);
    if (token) await logout({ db: deps.db, token });
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return redirect(c, '/login?out=1');
  });

  app.get('/', session, async (c) => overviewPage(c, deps, await gatewaysCard(c.get('ctx'), deps)));

  app.get('/account', session, async (c) => {
    const ctx = c.get('ctx');
    const totp = await totpStatus({ ctx });
    const enrollment = totp.enrolling ? await startTotpEnrollment({ ctx }) : undefined;
    return page(c, <AccountPage meta={meta(c, 'Account')} totp={totp} enrollment={enrollment} />);
  });
  app.post('/account/totp/start', session, async (c) => {
    await startTotpEnrollment({ ctx: c.get('ctx') });
    return redirect(c, '/account');
  });
  const totpAction = (verb: typeof confirmTotpEnrollment, done: string) =>
    app.post(`/account/totp/${done === 'totp-enabled' ? 'confirm' : 'disable'}`, session, async (c) => {
      const ctx = c.get('ctx');
      const form = await formOf(c);
      try {
        await verb({ ctx, input: { code: str(form, 'code') } });
        return redirect(c, `/account?done=${done}`);
      } catch (err) {
        const errors = toFormErrors(err, ['code']);
        const totp = await totpStatus({ ctx });
        const enrollment = totp.enrolling ? await startTotpEnrollment({ ctx }) : undefined;
        const error = errors.fields.code ? `The code ${errors.fields.code}.` : errors.summary;
        return page(
          c,
          <AccountPage meta={meta(c, 'Account', '/account')} totp={totp} enrollment={enrollment} error={error} />,
          422,
        );
      }
    });
  totpAction(confirmTotpEnrollment, 'totp-enabled');
  totpAction(disableTotp, 'totp-disabled');

  // Errors become pages (the API's JSON shape is for programs); 5xx details stay in the log.
  app.onError((err, c) => {
    const known = err instanceof AppError && err.code !== 'internal';
    if (!known) c.get('logger')?.error({ err, requestId: c.get('requestId') }, 'dashboard error');
    const status = known ? statusOf(err.code) : 500;
    const title = status === 404 ? 'Not found' : known ? 'Something is in the way' : 'Something went wrong';
    const message = known ? err.message : `An internal error occurred (request ${c.get('requestId')}).`;
    const body = (
      <>
        <h1>{title}</h1>
        <p>{message}</p>
        <p>
          <a href="/">Back to the overview</a>
        </p>
      </>
    );
    return page(
      c,
      c.get('username') ? <Layout meta={meta(c, title)}>{body}</Layout> : <Bare title={title}>{body}</Bare>,
      status as 404,
    );
  });

  registerPeers(app, deps, session);
  registerRoutes(app, deps, session);
  registerGateways(app, deps, session);
  registerTokens(app, deps, session);
  registerSettings(app, deps, session);
  return app;
}
