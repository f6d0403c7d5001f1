import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import {
  LOGIN_PREFIX,
  ROUTE_OIDC_COOKIE,
  ROUTE_SESSION_COOKIE,
  ROUTE_SSO_COOKIE,
  safeReturnPath,
} from '../auth/route-cookies.ts';
import type { AppDeps } from '../http/types.ts';
import { beginRouteOidcLogin, finishRouteOidcLogin, ROUTE_OIDC_PENDING_MS } from '../services/route-auth/oidc-login.ts';
import { endSession } from '../services/route-auth/sessions.ts';
import type { forwardedRequest } from './forward-auth.ts';
import { linkPage, PAGE_HEADERS } from './route-login-page.ts';

type ForwardedRequest = NonNullable<Awaited<ReturnType<typeof forwardedRequest>>>;
// biome-ignore lint/suspicious/noExplicitAny: the login app's env adds a variable; these handlers only read headers and cookies
type C = Context<any>;
const SECURE = { httpOnly: true, secure: true, path: '/' } as const;

function page(c: C, body: Promise<string> | string, status: 200 | 400 | 403 | 503) {
  for (const [k, v] of Object.entries(PAGE_HEADERS)) c.header(k, v);
  return c.html(body, status);
}

const loginHref = (returnTo: string) => `${LOGIN_PREFIX}/login?rd=${encodeURIComponent(returnTo)}`;

/**
 * The login page of a route with auth_method oidc: straight on to the provider (nothing to fill in here), with
 * the waiting login's token in a host cookie (SameSite=Lax: the provider's redirect back is a top-level GET).
 * The provider down: a page that says so, with a link to try again.
 */
export async function startOidcLogin(c: C, req: ForwardedRequest): Promise<Response> {
  const host = c.req.header('host') ?? '';
  const returnTo = safeReturnPath(c.req.query('rd'));
  const begun = await beginRouteOidcLogin({ ctx: req.ctx, route: req.route, host, returnTo });
  if (begun.status === 'misconfigured')
    return page(
      c,
      linkPage({
        title: 'Login unavailable',
        message: 'This site logs in through an identity provider that is not set up. Tell its administrator.',
        href: loginHref(returnTo),
        link: 'Try again',
      }),
      503,
    );
  if (begun.status === 'unavailable')
    return page(
      c,
      linkPage({
        title: 'Login unavailable',
        message: `${begun.provider} is not reachable right now. Try again in a moment.`,
        href: loginHref(returnTo),
        link: 'Try again',
      }),
      503,
    );
  setCookie(c, ROUTE_OIDC_COOKIE, begun.token, { ...SECURE, sameSite: 'Lax', maxAge: ROUTE_OIDC_PENDING_MS / 1000 });
  c.header('Cache-Control', 'no-store');
  return c.redirect(begun.url.href, 302);
}

/** `GET /.gatehouse/oidc/callback`: the provider's answer → a route session, then back to the page asked for. */
export async function oidcCallback(c: C, deps: AppDeps, req: ForwardedRequest): Promise<Response> {
  const { route, ctx } = req;
  const url = new URL(c.req.url);
  const outcome = await finishRouteOidcLogin({
    ctx,
    route,
    host: c.req.header('host') ?? '',
    token: getCookie(c, ROUTE_OIDC_COOKIE),
    search: url.search,
    userAgent: c.req.header('user-agent'),
  });
  deleteCookie(c, ROUTE_OIDC_COOKIE, { ...SECURE });
  switch (outcome.status) {
    case 'expired':
      return page(
        c,
        linkPage({
          title: 'Login expired',
          message: 'This login was not started in this browser, took too long or was used already.',
          href: loginHref('/'),
          link: 'Log in again',
        }),
        400,
      );
    case 'unavailable':
      return page(
        c,
        linkPage({
          title: 'Login unavailable',
          message: `${outcome.provider} is not reachable right now. Try again in a moment.`,
          href: loginHref('/'),
          link: 'Try again',
        }),
        503,
      );
    case 'refused':
      return page(
        c,
        linkPage({
          title: 'Login refused',
          message: `${outcome.provider} did not confirm the login (${outcome.message.slice(0, 200)}).`,
          href: loginHref('/'),
          link: 'Log in again',
        }),
        403,
      );
    case 'ok': {
      const maxAge = Math.max(1, Math.floor((outcome.expiresAt.getTime() - deps.now().getTime()) / 1000));
      if (outcome.ssoDomain) {
        setCookie(c, ROUTE_SSO_COOKIE, outcome.token, {
          ...SECURE,
          sameSite: 'Lax',
          maxAge,
          domain: outcome.ssoDomain,
        });
        // An older session of this host would be read first (readRouteSession): the new login replaces it.
        await endSession(deps.db, getCookie(c, ROUTE_SESSION_COOKIE));
        deleteCookie(c, ROUTE_SESSION_COOKIE, { ...SECURE });
      } else {
        setCookie(c, ROUTE_SESSION_COOKIE, outcome.token, { ...SECURE, sameSite: 'Lax', maxAge });
      }
      return c.redirect(outcome.returnTo, 303);
    }
  }
}

/**
 * Logout ends the session server-side (every route that accepted the single sign-on cookie stops accepting it
 * at its next request) and removes both cookies.
 */
export async function endRouteSessions(c: C, deps: AppDeps, req: ForwardedRequest): Promise<void> {
  await endSession(deps.db, getCookie(c, ROUTE_SESSION_COOKIE));
  deleteCookie(c, ROUTE_SESSION_COOKIE, { ...SECURE });
  const sso = getCookie(c, ROUTE_SSO_COOKIE);
  if (sso !== undefined) {
    await endSession(deps.db, sso);
    if (req.route.authSsoDomain) deleteCookie(c, ROUTE_SSO_COOKIE, { ...SECURE, domain: req.route.authSsoDomain });
  }
}
