import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { type AdminRole, roleAtLeast } from '../auth/roles.ts';
import { safeEqual } from '../auth/secrets.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { ForbiddenError, UnauthorizedError } from '../errors.ts';
import { authenticateSession } from '../services/sessions/index.ts';
import { authenticateToken } from '../services/tokens/authenticate.ts';
import { clientOrigin, socketAddress } from './client.ts';
import { API_PERMISSIONS, type Permission, permissionFor } from './permissions.ts';
import type { AppDeps, AppEnv } from './types.ts';

/** The admin session cookie over plain http (development on loopback). */
export const SESSION_COOKIE = 'gatehouse_session';
/**
 * Over HTTPS: browsers accept a `__Host-` cookie only with Secure, Path=/ and no Domain, so no sibling domain
 * can plant or overwrite it, and it never travels over plain http.
 */
export const SECURE_SESSION_COOKIE = `__Host-${SESSION_COOKIE}`;

/** The client's address as the control plane trusts it (src/http/client.ts); throttles and audit use it. */
export function clientIp(c: Context): string | undefined {
  const client = (c as unknown as Context<AppEnv>).get('client');
  return client ? client.ip : socketAddress(c);
}

/** The request came over HTTPS (through Caddy on the public domain). */
export function isHttps(c: Context): boolean {
  return (c as unknown as Context<AppEnv>).get('client')?.https ?? false;
}

/** The admin session cookie's name for this request: only the `__Host-` one counts over HTTPS. */
export function sessionCookieName(c: Context): string {
  return isHttps(c) ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
}

export function readSessionCookie(c: Context): string | undefined {
  return getCookie(c, sessionCookieName(c));
}

/** HttpOnly, SameSite=Strict, Path=/; over HTTPS also Secure under the `__Host-` name. */
export function writeSessionCookie(c: Context, token: string, maxAgeSeconds: number): void {
  setCookie(c, sessionCookieName(c), token, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: isHttps(c),
    path: '/',
    maxAge: Math.floor(maxAgeSeconds),
  });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, sessionCookieName(c), { path: '/', secure: isHttps(c) });
}

/** Request id, request-scoped logger and the service context every handler builds on. */
export function requestContext(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    const logger = deps.logger.child({ requestId });
    c.set('requestId', requestId);
    c.set('logger', logger);
    c.set('actor', { kind: 'system' });
    c.set('client', clientOrigin(c, deps.proxySecret));
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    // Debug, not info: a line per request on the terminal scrolls the once-only admin password away.
    logger.debug(
      { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) },
      'request',
    );
  };
}

/** Bearer API token or dashboard session → actor; anything else is a 401. */
export function authenticate(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const now = deps.now();
    const header = c.req.header('authorization');
    let actor: Actor;
    if (header) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match) throw new UnauthorizedError('Authorization must be "Bearer <token>"');
      const token = await authenticateToken({ db: deps.db, token: match[1]!, now });
      actor = {
        kind: 'token',
        id: token.id,
        scope: token.scope,
        role: token.role,
        userId: token.creator?.id,
        username: token.creator?.username,
      };
    } else {
      const cookie = readSessionCookie(c);
      const session = cookie ? await authenticateSession({ db: deps.db, token: cookie, now }) : null;
      if (!session?.session.fullyAuthenticated) throw new UnauthorizedError();
      actor = { kind: 'admin', id: session.user.id, username: session.user.username, role: session.user.role };
      c.set('csrfToken', session.session.csrfToken);
      // Cookies ride along on cross-site requests; a header only our own pages can set proves intent.
      if (!['GET', 'HEAD', 'OPTIONS'].includes(c.req.method)) {
        const sent = c.req.header('x-csrf-token') ?? '';
        if (!safeEqual(sent, session.session.csrfToken)) throw new ForbiddenError('missing or invalid CSRF token');
      }
    }
    c.set('actor', actor);
    c.set('ctx', serviceContext(deps, c, actor));
    await next();
  };
}

/** The role an actor acts with: an admin's current role; a token's scope cut to its creator's role. */
export function actorRole(actor: Actor): AdminRole | undefined {
  return actor.kind === 'admin' || actor.kind === 'token' ? actor.role : undefined;
}

/** Which token scope reaches a role, for the refusal's message. */
const SCOPE_FOR: Record<AdminRole, string> = {
  viewer: 'read scope',
  operator: 'write scope',
  admin: 'admin scope',
  owner: 'an owner’s session; no token reaches it',
};

/**
 * The one role check of the API: the permission table (src/http/permissions.ts) says the least role each
 * operation needs; anything it does not list needs `owner`. Runs after `authenticate`.
 */
export function authorize(table: readonly Permission[] = API_PERMISSIONS): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const need = permissionFor(table, c.req.method, c.req.path);
    const role = actorRole(c.get('actor'));
    if (need === 'public') return next();
    if (!role || need === 'gateway') throw new ForbiddenError();
    if (!roleAtLeast(role, need)) {
      const actor = c.get('actor');
      throw new ForbiddenError(
        actor.kind === 'token'
          ? `this call needs the ${need} role (${SCOPE_FOR[need]}); this token acts as ${role} (its scope ${actor.scope}, capped by its creator's role)`
          : `this call needs the ${need} role; you are ${role}`,
      );
    }
    await next();
  };
}

/** The service context for unauthenticated endpoints (login): system actor, request's id and IP. */
export function anonymousContext(deps: AppDeps, c: Context) {
  return serviceContext(deps, c, { kind: 'system' });
}

/** The service context of one request: its actor, id, logger and client IP, with the server's wiring. */
export function serviceContext(deps: AppDeps, c: Context, actor: Actor): ServiceContext {
  const vars = c as unknown as Context<AppEnv>;
  return {
    db: deps.db,
    config: deps.config,
    logger: vars.get('logger'),
    now: deps.now,
    actor,
    requestId: vars.get('requestId'),
    ip: clientIp(c),
    hooks: deps.hooks,
  };
}
