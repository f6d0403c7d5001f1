import { type Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { secretBoxFor } from '../../auth/secret-box.ts';
import { AppError } from '../../errors.ts';
import { anonymousContext, isHttps, writeSessionCookie } from '../../http/middleware.ts';
import { dashboardOrigin } from '../../http/origin.ts';
import type { AppDeps, AppEnv } from '../../http/types.ts';
import type { PendingLogin } from '../../oidc/client.ts';
import { beginOidcLogin, finishOidcLogin } from '../../services/identity-providers/login.ts';
import { loginOptions } from '../../services/identity-providers/login-options.ts';
import { SESSION_TTL_MS } from '../../services/sessions/index.ts';
import { page } from '../shared/render.ts';
import type { DashEnv } from '../shared/session.ts';
import { loginCsrf } from '../shared/session.ts';
import { safeNext } from './handlers.tsx';
import { LoginPage, SsoDonePage, SsoRefusedPage } from './pages.tsx';

/** The browser's side of a login in progress: sealed (AES-GCM, src/auth/secret-box.ts), 10 minutes. */
const PENDING_COOKIE = 'gh_oidc';
const PENDING_TTL_SECONDS = 600;

interface SealedPending extends PendingLogin {
  provider: number;
  next: string;
  expires: number;
}

function readPending(c: Context, deps: AppDeps, providerId: number): SealedPending | null {
  const sealed = getCookie(c, PENDING_COOKIE);
  if (!sealed || sealed.length > 2000) return null;
  try {
    const value = JSON.parse(secretBoxFor(deps.config).open(sealed)) as SealedPending;
    if (value.provider !== providerId || value.expires < deps.now().getTime()) return null;
    return value;
  } catch {
    return null;
  }
}

const providerIdOf = (c: Context) => {
  const id = Number(c.req.param('id'));
  return Number.isSafeInteger(id) && id > 0 ? id : null;
};

/**
 * Logging in to the dashboard through an OpenID provider: `/login/oidc/:id` sends the browser to the provider
 * (PKCE, state, nonce kept in a sealed SameSite=Lax cookie, which the provider's redirect back carries), and
 * `/login/oidc/:id/callback` finishes it. A provider that does not answer is said on the login page; sessions
 * already open are ours and are not asked about.
 */
export function oidcLoginDashboard(deps: AppDeps) {
  const app = new Hono<DashEnv>();
  const cookieOptions = (c: Context) =>
    ({ httpOnly: true, sameSite: 'Lax', secure: isHttps(c), path: '/login/oidc' }) as const;

  const loginAgain = async (c: Context, error: string, status: 403 | 422 | 503) =>
    page(c, <LoginPage csrf={loginCsrf(c)} error={error} sso={await loginOptions(deps.db, deps.now())} />, status);

  app.get('/login/oidc/:id', async (c) => {
    const providerId = providerIdOf(c);
    if (providerId === null) return c.notFound();
    const ctx = anonymousContext(deps, c as unknown as Context<AppEnv>);
    try {
      const { url, pending } = await beginOidcLogin({ ctx, providerId, origin: dashboardOrigin(deps.config, c) });
      const sealed: SealedPending = {
        ...pending,
        provider: providerId,
        next: safeNext(c.req.query('next')),
        expires: deps.now().getTime() + PENDING_TTL_SECONDS * 1000,
      };
      setCookie(c, PENDING_COOKIE, secretBoxFor(deps.config).seal(JSON.stringify(sealed)), {
        ...cookieOptions(c),
        maxAge: PENDING_TTL_SECONDS,
      });
      return c.redirect(url.href, 302);
    } catch (err) {
      if (err instanceof AppError && err.code === 'unavailable')
        return loginAgain(c, `${err.message}. Log in another way or try again later; open sessions keep working.`, 503);
      if (err instanceof AppError && err.code === 'not_found') return c.notFound();
      throw err;
    }
  });

  app.get('/login/oidc/:id/callback', async (c) => {
    const providerId = providerIdOf(c);
    if (providerId === null) return c.notFound();
    const pending = readPending(c, deps, providerId);
    deleteCookie(c, PENDING_COOKIE, cookieOptions(c));
    if (!pending)
      return loginAgain(
        c,
        'The login through the identity provider expired or was not started here; start again.',
        422,
      );
    const providerError = c.req.query('error');
    if (providerError) {
      const description = (c.req.query('error_description') ?? '').slice(0, 300);
      return loginAgain(
        c,
        `The identity provider answered: ${providerError.slice(0, 100)}${description ? ` (${description})` : ''}`,
        403,
      );
    }
    const ctx = anonymousContext(deps, c as unknown as Context<AppEnv>);
    try {
      const done = await finishOidcLogin({
        ctx,
        providerId,
        origin: dashboardOrigin(deps.config, c),
        callback: new URL(c.req.url),
        pending,
        userAgent: c.req.header('user-agent'),
      });
      writeSessionCookie(c, done.token, SESSION_TTL_MS / 1000);
      c.header('Cache-Control', 'no-store');
      return page(c, <SsoDonePage next={pending.next} />);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      if (err.code === 'forbidden')
        return page(c, <SsoRefusedPage title="No access to this Gatehouse" message={err.message} />, 403);
      if (err.code === 'unavailable')
        return loginAgain(c, `${err.message}. Try again later; open sessions keep working.`, 503);
      if (err.code === 'unauthorized' || err.code === 'not_found')
        return page(c, <SsoRefusedPage title="Login failed" message={err.message} />, 403);
      throw err;
    }
  });

  return app;
}
