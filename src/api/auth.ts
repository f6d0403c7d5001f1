import { createRoute, z } from '@hono/zod-openapi';
import { ADMIN_LOGIN_SCOPE, type LoginThrottle } from '../auth/login-throttle.ts';
import { safeEqual } from '../auth/secrets.ts';
import { ADMIN_PASSWORD_MIN_LENGTH } from '../config/index.ts';
import { AppError, ForbiddenError, RateLimitedError } from '../errors.ts';
import {
  anonymousContext,
  authenticate,
  authorize,
  clearSessionCookie,
  readSessionCookie,
  writeSessionCookie,
} from '../http/middleware.ts';
import type { AppDeps } from '../http/types.ts';
import { errorResponses } from '../schemas/common.ts';
import { AcceptInviteSchema } from '../schemas/users.ts';
import { changeAdminPassword, isWrongCurrentPassword } from '../services/admin/password.ts';
import { authenticateSession, login, logout, SESSION_TTL_MS } from '../services/sessions/index.ts';
import { acceptInvite } from '../services/users/accept.ts';
import { newApiRouter } from './openapi.ts';

const LoginSchema = z
  .strictObject({
    username: z.string().min(1, 'is required').max(64),
    password: z.string().min(1, 'is required').max(1024),
    totp_code: z
      .string()
      .regex(/^\d{6}$/, 'must be 6 digits')
      .optional(),
    recovery_code: z
      .string()
      .max(64)
      .optional()
      .openapi({ description: 'One of the recovery codes shown when TOTP was turned on, in place of `totp_code`' }),
  })
  .openapi('Login');

const ChangePasswordSchema = z
  .strictObject({
    current_password: z.string().min(1, 'is required').max(1024),
    new_password: z
      .string()
      .max(1024)
      .openapi({ description: `At least ${ADMIN_PASSWORD_MIN_LENGTH} characters, no control characters` }),
  })
  .openapi('ChangePassword');

/**
 * Admin login for the API and dashboard: a session cookie (HttpOnly, SameSite=Strict; `__Host-` and Secure over
 * HTTPS). Failures are throttled per client and per account together with the dashboard's login (`throttle` is
 * shared, see src/app.ts).
 */
export function authApi(deps: AppDeps, throttle: LoginThrottle) {
  const app = newApiRouter();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/login',
      operationId: 'login',
      tags: ['auth'],
      summary: 'Log in with password (and TOTP code when enabled)',
      request: { body: { content: { 'application/json': { schema: LoginSchema } }, required: true } },
      responses: {
        200: {
          description: 'Logged in; the session cookie is set',
          content: {
            'application/json': {
              schema: z.object({ username: z.string(), csrf_token: z.string(), expires_at: z.string() }),
            },
          },
        },
        ...errorResponses(401, 422, 429),
      },
    }),
    async (c) => {
      const ctx = anonymousContext(deps, c);
      const input = c.req.valid('json');
      const attempt = { scope: ADMIN_LOGIN_SCOPE, account: input.username, ip: ctx.ip ?? 'unknown' };
      const wait = throttle.retryAfterSeconds(attempt, deps.now().getTime());
      if (wait > 0) throw new RateLimitedError('too many failed logins; wait before trying again', wait);
      try {
        const session = await login({ ctx, input: { ...input, userAgent: c.req.header('user-agent') } });
        throttle.succeed(attempt);
        writeSessionCookie(c, session.token, SESSION_TTL_MS / 1000);
        return c.json(
          {
            username: session.user.username,
            csrf_token: session.csrfToken,
            expires_at: session.expiresAt.toISOString(),
          },
          200,
        );
      } catch (err) {
        // A right password without the code it needs is not a guess; every other refusal is.
        const refused = err instanceof AppError && err.code === 'unauthorized' && !err.details?.totp_required;
        if (refused) throttle.fail(attempt, deps.now().getTime());
        throw err;
      }
    },
  );

  app.use('/password', authenticate(deps), authorize());
  app.openapi(
    createRoute({
      method: 'post',
      path: '/password',
      operationId: 'changePassword',
      tags: ['auth'],
      summary: "Change the logged-in admin's password (dashboard session only; ends the admin's other sessions)",
      description:
        'Needs the current password and the X-CSRF-Token header. Wrong current passwords are throttled like logins.',
      request: { body: { content: { 'application/json': { schema: ChangePasswordSchema } }, required: true } },
      responses: {
        200: {
          description: 'Changed; this session stays, every other session of the admin has ended',
          content: { 'application/json': { schema: z.object({ other_sessions_ended: z.number().int() }) } },
        },
        ...errorResponses(401, 403, 422, 429),
      },
    }),
    async (c) => {
      const actor = c.get('actor');
      if (actor.kind !== 'admin')
        throw new ForbiddenError('an API token cannot change a password; log in as the admin');
      const input = c.req.valid('json');
      const ctx = c.get('ctx');
      const attempt = { scope: ADMIN_LOGIN_SCOPE, account: actor.username, ip: ctx.ip ?? 'unknown' };
      const wait = throttle.retryAfterSeconds(attempt, deps.now().getTime());
      if (wait > 0) throw new RateLimitedError('too many wrong passwords; wait before trying again', wait);
      try {
        const result = await changeAdminPassword({
          ctx,
          input: { ...input, keep_session_token: readSessionCookie(c) },
        });
        throttle.succeed(attempt);
        return c.json(result, 200);
      } catch (err) {
        if (isWrongCurrentPassword(err)) throttle.fail(attempt, deps.now().getTime());
        throw err;
      }
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/invite',
      operationId: 'acceptInvite',
      tags: ['auth'],
      summary: 'Accept an invite: set your password with the one-time token from the invite link',
      description: 'The link works once and until it expires; afterwards log in as usual.',
      request: { body: { content: { 'application/json': { schema: AcceptInviteSchema } }, required: true } },
      responses: {
        200: {
          description: 'Password set',
          content: { 'application/json': { schema: z.object({ username: z.string() }) } },
        },
        ...errorResponses(401, 422),
      },
    }),
    async (c) => c.json(await acceptInvite({ ctx: anonymousContext(deps, c), input: c.req.valid('json') }), 200),
  );

  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/logout',
    operationId: 'logout',
    tags: ['auth'],
    summary: 'End the dashboard session (clears the cookie); needs the X-CSRF-Token header like every change',
    responses: { 204: { description: 'Logged out' }, ...errorResponses(403) },
  });
  app.post('/logout', async (c) => {
    const token = readSessionCookie(c);
    const found = token ? await authenticateSession({ db: deps.db, token, now: deps.now() }) : null;
    if (token && found) {
      // Ending a session changes state: a cross-site form must not be able to do it (SECURITY.md).
      if (!safeEqual(c.req.header('x-csrf-token') ?? '', found.session.csrfToken))
        throw new ForbiddenError('missing or invalid CSRF token');
      await logout({ db: deps.db, token });
    }
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  return app;
}
