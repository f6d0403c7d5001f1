import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { type AdminRole, roleAtLeast } from '../../auth/roles.ts';
import { randomSecret, safeEqual } from '../../auth/secrets.ts';
import type { Actor } from '../../context.ts';
import { ForbiddenError } from '../../errors.ts';
import { clientIp, isHttps, readSessionCookie, serviceContext } from '../../http/middleware.ts';
import { DASHBOARD_PERMISSIONS, permissionFor } from '../../http/permissions.ts';
import type { AppDeps, AppEnv } from '../../http/types.ts';
import { authenticateSession } from '../../services/sessions/index.ts';

export const LOGIN_CSRF_COOKIE = 'gatehouse_login_csrf';
export const CSRF_FIELD = '_csrf';

export type DashEnv = AppEnv & { Variables: { username: string; role: AdminRole } };
export type DashContext = Context<DashEnv>;

export const isHtmx = (c: Context) => c.req.header('hx-request') === 'true';

/** A redirect that also works for htmx requests (which would otherwise swap the login page into a fragment). */
export function redirect(c: Context, to: string) {
  if (isHtmx(c)) {
    c.header('HX-Redirect', to);
    return c.body(null, 204);
  }
  return c.redirect(to, 303);
}

/** Form fields, with repeated names (checkbox lists, rule rows) as arrays. Cached by Hono for later reads. */
export async function formOf(c: Context): Promise<Record<string, string | string[]>> {
  const type = c.req.header('content-type') ?? '';
  if (!type.includes('application/x-www-form-urlencoded') && !type.includes('multipart/form-data')) return {};
  const body = await c.req.parseBody({ all: true });
  // No prototype: a field named `__proto__` is a field, not the object's prototype.
  const out: Record<string, string | string[]> = Object.create(null);
  for (const [key, value] of Object.entries(body)) {
    if (Array.isArray(value)) out[key] = value.filter((v): v is string => typeof v === 'string');
    else if (typeof value === 'string') out[key] = value;
  }
  return out;
}

/**
 * Session cookie → admin, the service context and CSRF check for every dashboard page. Unsafe requests must
 * carry the session's CSRF token in the `_csrf` field (plain forms) or the X-CSRF-Token header (htmx);
 * SameSite=Strict on the cookie is the first line, this is the second.
 */
export function requireSession(deps: AppDeps): MiddlewareHandler<DashEnv> {
  return async (c, next) => {
    const cookie = readSessionCookie(c);
    const found = cookie ? await authenticateSession({ db: deps.db, token: cookie, now: deps.now() }) : null;
    if (!found?.session.fullyAuthenticated) {
      const back = c.req.method === 'GET' ? `&next=${encodeURIComponent(c.req.path)}` : '';
      return redirect(c, cookie ? `/login?expired=1${back}` : `/login?${back.slice(1)}`);
    }
    const csrf = found.session.csrfToken;
    if (!['GET', 'HEAD'].includes(c.req.method)) {
      const form = await formOf(c);
      const sent = c.req.header('x-csrf-token') ?? (typeof form[CSRF_FIELD] === 'string' ? form[CSRF_FIELD] : '');
      if (!safeEqual(sent, csrf)) return c.text('missing or invalid CSRF token; reload the page and try again', 403);
    }
    const actor: Actor = { kind: 'admin', id: found.user.id, username: found.user.username, role: found.user.role };
    c.set('role', actor.role);
    c.set('actor', actor);
    c.set('csrfToken', csrf);
    c.set('username', found.user.username);
    c.set('ctx', serviceContext(deps, c, actor));
    // The same table as the API (src/http/permissions.ts): unlisted pages and posts need an owner.
    const need = permissionFor(DASHBOARD_PERMISSIONS, c.req.method, c.req.path);
    if (need !== 'public' && (need === 'gateway' || !roleAtLeast(actor.role, need)))
      throw new ForbiddenError(`this needs the ${need} role; you are ${actor.role}`);
    // Pages hold a CSRF token and private data: never cached, never framed.
    c.header('Cache-Control', 'no-store');
    await next();
  };
}

/** Login has no session yet: a double-submit cookie ties the form to this browser. */
export function loginCsrf(c: Context): string {
  const existing = getCookie(c, LOGIN_CSRF_COOKIE);
  if (existing && /^[\w-]{20,64}$/.test(existing)) return existing;
  const token = randomSecret(24);
  setCookie(c, LOGIN_CSRF_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: isHttps(c),
    path: '/login',
    maxAge: 3600,
  });
  return token;
}

export function checkLoginCsrf(c: Context, form: Record<string, string | string[]>): boolean {
  const cookie = getCookie(c, LOGIN_CSRF_COOKIE) ?? '';
  const sent = typeof form[CSRF_FIELD] === 'string' ? form[CSRF_FIELD] : '';
  return cookie.length > 0 && safeEqual(cookie, sent);
}

export { clientIp };
