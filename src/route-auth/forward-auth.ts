import { getConnInfo } from '@hono/node-server/conninfo';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import {
  hostMatches,
  hostName,
  LOGIN_PREFIX,
  ROUTE_SESSION_COOKIE,
  ROUTE_SSO_COOKIE,
  safeReturnPath,
  stripOurCookies,
  VERIFY_PATH,
} from '../auth/route-cookies.ts';
import type { RouteAuthThrottle } from '../auth/route-throttle.ts';
import { CLEAN_COOKIE_HEADER, IDENTITY_HEADER } from '../caddy/route-auth.ts';
import type { ServiceContext } from '../context.ts';
import type { RouteSessionIdentity } from '../db/schema/route-auth-sessions.ts';
import { anonymousContext, clientIp } from '../http/middleware.ts';
import type { AppDeps, AppEnv } from '../http/types.ts';
import { appTokenAccess } from '../services/route-auth/app-tokens.ts';
import {
  type AuthRoute,
  attemptedAccount,
  checkPassword,
  findAuthRoute,
  readRouteSession,
  recordAuthFailure,
} from '../services/route-auth/sessions.ts';
import { checkIdentity } from './identity-check.ts';
import { linkPage, PAGE_HEADERS } from './route-login-page.ts';

const ROUTE_HEADER = 'x-gatehouse-route';

function peerAddress<E extends AppEnv>(c: Context<E>): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined; // app.request() in tests has no socket
  }
}

function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
}

/**
 * Caddy runs on this host. Over loopback that is a 127.x peer; when the control plane listens on another
 * local address (say the tunnel address, GATEHOUSE_LISTEN=10.8.0.1:3000) a connection from this host to
 * it has that same address on both ends, which no remote client can have.
 */
function fromThisHost<E extends AppEnv>(c: Context<E>, peer: string): boolean {
  if (isLoopback(peer)) return true;
  const incoming = (c.env as { incoming?: { socket?: { localAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.localAddress === peer;
}

/**
 * The request as Caddy forwarded it for a route with auth: the route (from the header our compiled
 * handlers set, confirmed by the host), and the client IP Caddy determined — believed only with Caddy's
 * secret (src/http/client.ts); a local process that sends its own address header is its socket's address.
 * Only Caddy talks to these endpoints, over loopback; anything else, or a host that is not the route's,
 * gets null (404).
 */
export async function forwardedRequest<E extends AppEnv>(c: Context<E>, deps: AppDeps, host: string | undefined) {
  const peer = peerAddress(c);
  if (peer !== undefined && !fromThisHost(c, peer)) return null;
  const route = await findAuthRoute(deps.db, Number(c.req.header(ROUTE_HEADER)));
  if (!route || !hostMatches(route.domain, hostName(host))) return null;
  const ip = clientIp(c) ?? 'unknown';
  const ctx: ServiceContext = { ...anonymousContext(deps, c as unknown as Context<AppEnv>), ip };
  return { route, ip, ctx };
}

/**
 * Requests that Caddy forwards for a route (they carry X-Gatehouse-Route) may reach route auth and
 * nothing else, however their path was spelled: the admin API is never one dot-segment away.
 */
export function confineRouteTraffic(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (
      c.req.header(ROUTE_HEADER) !== undefined &&
      c.req.path !== VERIFY_PATH &&
      !c.req.path.startsWith(`${LOGIN_PREFIX}/`)
    ) {
      return c.text('not found', 404);
    }
    await next();
  };
}

function parseBasic(header: string | undefined): { username: string; password: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]{1,4096})$/i.exec(header ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? null : { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

const basicChallenge = (route: AuthRoute) => `Basic realm="${route.name.replace(/["\\\r\n]/g, '')}", charset="UTF-8"`;

/**
 * `GET /auth/verify`, Caddy's forward-auth call. 200 (with `Remote-User` and the cleaned Cookie header)
 * lets the request through to the upstream; any other answer is sent to the client as it is: a 302 to the
 * login page, or 401 with a Basic challenge, or 429 while the client is slowed down.
 */
export function forwardAuthApp(deps: AppDeps, throttle: RouteAuthThrottle) {
  const app = new Hono<AppEnv>();
  app.get(VERIFY_PATH, async (c) => {
    c.header('Cache-Control', 'no-store');
    const req = await forwardedRequest(c, deps, c.req.header('x-forwarded-host'));
    if (!req) return c.text('not found', 404);
    const { route, ip, ctx } = req;
    const now = deps.now();

    // An app token replaces the login (the policy already ran in the data plane); it never opens a session.
    const app = await appTokenAccess(
      deps.db,
      route.id,
      (name) => c.req.header(name),
      c.req.header('x-forwarded-uri'),
      now,
    );
    if (app !== null) return allow(c, `app:${app}`);

    if (route.basicAuthEnabled) {
      const creds = parseBasic(c.req.header('authorization'));
      if (!creds) {
        c.header('WWW-Authenticate', basicChallenge(route));
        return c.text('authentication required', 401);
      }
      const account = await attemptedAccount(deps.db, route, creds.username.slice(0, 64));
      const wait = throttle.retryAfterSeconds(route.id, account, ip, now.getTime());
      if (wait > 0) {
        c.header('Retry-After', String(wait));
        return c.text('too many failed attempts; try again later', 429);
      }
      const who = await checkPassword(deps.db, route, creds.username, creds.password, { sharedFallback: true });
      if (!who) {
        throttle.fail(route.id, account, ip, now.getTime());
        await recordAuthFailure(ctx, {
          routeId: route.id,
          step: 'basic',
          reason: 'bad_credentials',
          username: creds.username,
        });
        c.header('WWW-Authenticate', basicChallenge(route));
        return c.text('authentication required', 401);
      }
      throttle.succeed(route.id, account, ip);
      return allow(c, who.user?.username ?? null);
    }

    const found = await readRouteSession(
      deps.db,
      route,
      { host: getCookie(c, ROUTE_SESSION_COOKIE), sso: getCookie(c, ROUTE_SSO_COOKIE) },
      now,
    );
    if (found?.session.stage === 'active') {
      const who = found.session.identity;
      const verdict = await checkIdentity(
        deps.db,
        deps.hooks,
        { routeId: route.id, ip, method: c.req.header('x-forwarded-method'), uri: c.req.header('x-forwarded-uri') },
        who,
      );
      // A clear page, not the login again (that would loop: the provider would log the same account back in).
      if (verdict === 'deny') return forbidden(c, route.name, who);
      if (verdict === 'unavailable') return c.text('the access decision is unavailable; try again later', 503);
      return allow(c, found.username ?? who?.email ?? who?.subject ?? null, who);
    }
    const returnTo = safeReturnPath(c.req.header('x-forwarded-uri'));
    return c.redirect(`${LOGIN_PREFIX}/login?rd=${encodeURIComponent(returnTo)}`, 302);
  });
  return app;
}

function forbidden(c: Context<AppEnv>, routeName: string, who: RouteSessionIdentity | null) {
  for (const [k, v] of Object.entries(PAGE_HEADERS)) c.header(k, v);
  const account = who?.email ?? who?.name ?? 'your account';
  return c.html(
    linkPage({
      title: 'Not allowed',
      message: `You are logged in as ${account}, which may not use ${routeName}.`,
      href: `${LOGIN_PREFIX}/logout`,
      link: 'Log out to use another account',
    }),
    403,
  );
}

/** Header values from a provider's claims: one line, printable, bounded (Caddy copies them verbatim). */
const headerValue = (v: string) => v.replace(/[^\x20-\x7e]/g, '?').slice(0, 500);

function allow(c: Context<AppEnv>, username: string | null, who?: RouteSessionIdentity | null) {
  const cookie = stripOurCookies(c.req.header('cookie'));
  if (cookie) c.header(CLEAN_COOKIE_HEADER, cookie);
  if (username) c.header(IDENTITY_HEADER, headerValue(username));
  if (who?.email) c.header('Remote-Email', headerValue(who.email));
  if (who?.name) c.header('Remote-Name', headerValue(who.name));
  if (who?.groups.length) c.header('Remote-Groups', headerValue(who.groups.filter((g) => !g.includes(',')).join(',')));
  return c.body(null, 200);
}
