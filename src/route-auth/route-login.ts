import { type Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import {
  hostName,
  LOGIN_PREFIX,
  ROUTE_CSRF_COOKIE,
  ROUTE_SESSION_COOKIE,
  safeReturnPath,
} from '../auth/route-cookies.ts';
import type { RouteAuthThrottle } from '../auth/route-throttle.ts';
import { secretBoxFor } from '../auth/secret-box.ts';
import { randomSecret, safeEqual } from '../auth/secrets.ts';
import type { AppDeps, AppEnv } from '../http/types.ts';
import {
  type AuthRoute,
  answerTotp,
  attemptedAccount,
  checkPassword,
  readSession,
  recordAuthFailure,
  startSession,
  TOTP_CHALLENGE_MS,
} from '../services/route-auth/sessions.ts';
import { openShareLink, peekShareLink } from '../services/route-auth/share-links.ts';
import { forwardedRequest } from './forward-auth.ts';
import { loginPage, logoutPage, messagePage, PAGE_HEADERS, sharePage, totpPage } from './route-login-page.ts';
import { endRouteSessions, oidcCallback, startOidcLogin } from './route-oidc.ts';

type ForwardedRequest = NonNullable<Awaited<ReturnType<typeof forwardedRequest>>>;
type LoginEnv = { Variables: AppEnv['Variables'] & { routeAuth: ForwardedRequest } };
type C = Context<LoginEnv>;
const SECURE = { httpOnly: true, secure: true, path: '/' } as const;

function page(c: C, body: Promise<string> | string, status: 200 | 401 | 403 | 404 | 429 = 200) {
  for (const [k, v] of Object.entries(PAGE_HEADERS)) c.header(k, v);
  return c.html(body, status);
}

/** The double-submit CSRF token: a SameSite=Strict cookie that a hidden form field must repeat. */
function csrfToken(c: C): string {
  const existing = getCookie(c, ROUTE_CSRF_COOKIE);
  if (existing && /^[\w-]{32,64}$/.test(existing)) return existing;
  const token = randomSecret(24);
  setCookie(c, ROUTE_CSRF_COOKIE, token, { ...SECURE, sameSite: 'Strict' });
  return token;
}

async function readForm(c: C): Promise<Record<string, string> | null> {
  if (Number(c.req.header('content-length') ?? 0) > 16_384) return null;
  const body = await c.req.parseBody().catch(() => null);
  if (!body) return null;
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, typeof v === 'string' ? v : '']));
}

/** A form post is ours when it repeats the CSRF cookie and, if the browser says where it came from, it is this host. */
function csrfOk(c: C, form: Record<string, string>): boolean {
  const cookie = getCookie(c, ROUTE_CSRF_COOKIE) ?? '';
  const origin = c.req.header('origin');
  if (origin && origin !== 'null') {
    try {
      if (hostName(new URL(origin).host) !== hostName(c.req.header('host'))) return false;
    } catch {
      return false;
    }
  }
  return cookie.length > 0 && safeEqual(cookie, form.csrf ?? '');
}

function loginView(
  c: C,
  route: AuthRoute & { hasUsers: boolean },
  returnTo: string,
  error?: string,
  status: 200 | 401 | 403 | 429 = 200,
) {
  const shared = Boolean(route.authPasswordHash) && route.authMethod === 'password';
  // password_totp: only route users (who have a second factor) may log in, so the name is always needed.
  return page(
    c,
    loginPage({
      routeName: route.name,
      csrf: csrfToken(c),
      returnTo,
      askUsername: route.hasUsers || route.authMethod === 'password_totp',
      usernameOptional: shared,
      error,
    }),
    status,
  );
}

function throttled(c: C, seconds: number, render: (msg: string) => Response | Promise<Response>) {
  c.header('Retry-After', String(seconds));
  return render(`Too many failed attempts. Try again in ${seconds} s.`);
}

/**
 * The login pages under `/.gatehouse/` on each protected route's own domain (Caddy sends that prefix here):
 * password (and username when the route has users), then the TOTP code when the route asks for one.
 * Sessions are cookies scoped to that host: HttpOnly, Secure, SameSite=Lax, Path=/.
 */
export function routeLoginApp(deps: AppDeps, throttle: RouteAuthThrottle) {
  const app = new Hono<LoginEnv>();
  app.use('*', async (c, next) => {
    const req = await forwardedRequest(c, deps, c.req.header('host'));
    // Basic-auth routes have no login page.
    if (!req || req.route.basicAuthEnabled)
      return page(c, messagePage('Not found', 'There is no login page here.'), 404);
    c.set('routeAuth', req);
    await next();
  });
  const reqOf = (c: C) => c.get('routeAuth');

  app.get('/login', (c) =>
    reqOf(c).route.authMethod === 'oidc'
      ? startOidcLogin(c, reqOf(c))
      : loginView(c, reqOf(c).route, safeReturnPath(c.req.query('rd'))),
  );
  app.get('/oidc/callback', (c) => oidcCallback(c, deps, reqOf(c)));

  app.post('/login', async (c) => {
    const { route, ip, ctx } = reqOf(c);
    const now = deps.now();
    const form = await readForm(c);
    const returnTo = safeReturnPath(form?.rd);
    // A route that logs in through an identity provider has no password form: back to its login page.
    if (route.authMethod === 'oidc') return c.redirect(`${LOGIN_PREFIX}/login?rd=${encodeURIComponent(returnTo)}`, 303);
    if (!form || !csrfOk(c, form)) return loginView(c, route, returnTo, 'The form expired. Please try again.', 403);
    const username = (form.username ?? '').trim().slice(0, 64);
    const account = await attemptedAccount(deps.db, route, username);
    const wait = throttle.retryAfterSeconds(route.id, account, ip, now.getTime());
    if (wait > 0) return throttled(c, wait, (msg) => loginView(c, route, returnTo, msg, 429));
    const who = await checkPassword(deps.db, route, username, (form.password ?? '').slice(0, 1024));
    if (!who) {
      throttle.fail(route.id, account, ip, now.getTime());
      await recordAuthFailure(ctx, { routeId: route.id, step: 'password', reason: 'bad_credentials', username });
      return loginView(c, route, returnTo, 'Wrong username or password.', 401);
    }
    const userAgent = c.req.header('user-agent');
    if (route.authMethod === 'password_totp') {
      if (!who.user?.totpSecret) {
        throttle.fail(route.id, account, ip, now.getTime());
        await recordAuthFailure(ctx, { routeId: route.id, step: 'password', reason: 'no_totp_enrolled', username });
        return loginView(c, route, returnTo, 'Wrong username or password.', 401);
      }
      // The password alone proves nothing yet: the throttle is only cleared after the second factor.
      const challenge = await startSession(deps.db, { route, userId: who.user.id, stage: 'totp', ip, userAgent, now });
      setCookie(c, ROUTE_SESSION_COOKIE, challenge.token, {
        ...SECURE,
        sameSite: 'Lax',
        maxAge: TOTP_CHALLENGE_MS / 1000,
      });
      return c.redirect(`${LOGIN_PREFIX}/totp?rd=${encodeURIComponent(returnTo)}`, 303);
    }
    throttle.succeed(route.id, account, ip);
    const session = await startSession(deps.db, {
      route,
      userId: who.user?.id ?? null,
      stage: 'active',
      ip,
      userAgent,
      now,
    });
    setCookie(c, ROUTE_SESSION_COOKIE, session.token, {
      ...SECURE,
      sameSite: 'Lax',
      maxAge: route.authSessionHours * 3600,
    });
    return c.redirect(returnTo, 303);
  });

  app.get('/totp', async (c) => {
    const { route } = reqOf(c);
    const returnTo = safeReturnPath(c.req.query('rd'));
    const found = await readSession(deps.db, getCookie(c, ROUTE_SESSION_COOKIE), route.id, deps.now());
    if (found?.session.stage !== 'totp')
      return c.redirect(`${LOGIN_PREFIX}/login?rd=${encodeURIComponent(returnTo)}`, 303);
    return page(c, totpPage({ routeName: route.name, csrf: csrfToken(c), returnTo }));
  });

  app.post('/totp', async (c) => {
    const { route, ip, ctx } = reqOf(c);
    const now = deps.now();
    const form = await readForm(c);
    const returnTo = safeReturnPath(form?.rd);
    const view = (error: string, status: 200 | 401 | 403 | 429) =>
      page(c, totpPage({ routeName: route.name, csrf: csrfToken(c), returnTo, error }), status);
    if (!form || !csrfOk(c, form)) return view('The form expired. Please try again.', 403);
    const token = getCookie(c, ROUTE_SESSION_COOKIE);
    const challenge = await readSession(deps.db, token, route.id, now);
    if (challenge?.session.stage !== 'totp')
      return c.redirect(`${LOGIN_PREFIX}/login?rd=${encodeURIComponent(returnTo)}`, 303);
    // The challenge's user is the account: its failures were counted at the password step already.
    const account = challenge.username ?? '';
    const wait = throttle.retryAfterSeconds(route.id, account, ip, now.getTime());
    if (wait > 0) return throttled(c, wait, (msg) => view(msg, 429));
    const outcome = await answerTotp(
      deps.db,
      {
        route,
        token: token ?? '',
        code: form.code ?? '',
        ip,
        userAgent: c.req.header('user-agent'),
        now,
      },
      secretBoxFor(deps.config),
    );
    switch (outcome.status) {
      case 'ok':
        throttle.succeed(route.id, account, ip);
        setCookie(c, ROUTE_SESSION_COOKIE, outcome.token, {
          ...SECURE,
          sameSite: 'Lax',
          maxAge: route.authSessionHours * 3600,
        });
        return c.redirect(returnTo, 303);
      case 'missing':
        return c.redirect(`${LOGIN_PREFIX}/login?rd=${encodeURIComponent(returnTo)}`, 303);
      case 'wrong':
        throttle.fail(route.id, account, ip, now.getTime());
        await recordAuthFailure(ctx, {
          routeId: route.id,
          step: 'totp',
          reason: 'bad_totp',
          username: outcome.username ?? undefined,
        });
        return view(`Wrong code. ${outcome.remaining} ${outcome.remaining === 1 ? 'try' : 'tries'} left.`, 401);
      case 'dead':
        throttle.fail(route.id, account, ip, now.getTime());
        await recordAuthFailure(ctx, {
          routeId: route.id,
          step: 'totp',
          reason: 'totp_challenge_ended',
          username: outcome.username ?? undefined,
        });
        deleteCookie(c, ROUTE_SESSION_COOKIE, { ...SECURE });
        return loginView(c, route, returnTo, 'Too many wrong codes. Log in again.', 401);
    }
  });

  // Share links (src/services/route-auth/share-links.ts): the GET only shows a button, so a link preview
  // spends no use; the POST spends one and opens the session.
  app.get('/share/:token', async (c) => {
    const { route, ctx } = reqOf(c);
    const name = await peekShareLink(ctx, route.id, c.req.param('token'));
    if (name === null)
      return page(c, messagePage('Link not valid', 'This link has expired, was used up or was revoked.'), 404);
    return page(c, sharePage({ routeName: route.name, linkName: name, csrf: csrfToken(c) }));
  });

  app.post('/share/:token', async (c) => {
    const { route, ctx } = reqOf(c);
    const form = await readForm(c);
    if (!form || !csrfOk(c, form))
      return page(c, messagePage('Try again', 'The form expired. Open the link again.'), 403);
    const opened = await openShareLink({
      ctx,
      route,
      token: c.req.param('token'),
      userAgent: c.req.header('user-agent'),
    });
    if (!opened)
      return page(c, messagePage('Link not valid', 'This link has expired, was used up or was revoked.'), 404);
    setCookie(c, ROUTE_SESSION_COOKIE, opened.token, {
      ...SECURE,
      sameSite: 'Lax',
      maxAge: Math.max(1, Math.floor((opened.expiresAt.getTime() - deps.now().getTime()) / 1000)),
    });
    return c.redirect('/', 303);
  });

  app.get('/logout', (c) => page(c, logoutPage({ routeName: reqOf(c).route.name, csrf: csrfToken(c) })));

  app.post('/logout', async (c) => {
    const { route } = reqOf(c);
    const form = await readForm(c);
    if (!form || !csrfOk(c, form)) return page(c, logoutPage({ routeName: route.name, csrf: csrfToken(c) }), 403);
    await endRouteSessions(c, deps, reqOf(c));
    // Through a provider, its login page would log straight back in (the provider still knows the browser).
    if (route.authMethod === 'oidc') return page(c, messagePage('Logged out', `You are logged out of ${route.name}.`));
    return c.redirect(`${LOGIN_PREFIX}/login`, 303);
  });

  return app;
}
