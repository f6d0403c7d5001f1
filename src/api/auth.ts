import { createRoute, z } from '@hono/zod-openapi';
import { FailureThrottle } from '../auth/throttle.ts';
import { RateLimitedError } from '../errors.ts';
import { anonymousContext, clearSessionCookie, readSessionCookie, writeSessionCookie } from '../http/middleware.ts';
import type { AppDeps } from '../http/types.ts';
import { errorResponses } from '../schemas/common.ts';
import { login, logout, SESSION_TTL_MS } from '../services/sessions/index.ts';
import { newApiRouter } from './openapi.ts';

const LoginSchema = z
  .strictObject({
    username: z.string().min(1, 'is required').max(64),
    password: z.string().min(1, 'is required').max(1024),
    totp_code: z
      .string()
      .regex(/^\d{6}$/, 'must be 6 digits')
      .optional(),
  })
  .openapi('Login');

/** Admin login for the API and dashboard: a session cookie (HttpOnly, SameSite=Strict; `__Host-`, Secure over HTTPS). */
export function authApi(deps: AppDeps) {
  const app = newApiRouter();
  // Per client IP: 5 free attempts, then 1 s doubling up to 5 min.
  const throttle = new FailureThrottle({
    freeAttempts: 5,
    baseDelayMs: 1000,
    maxDelayMs: 300_000,
    forgetAfterMs: 3_600_000,
  });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/login',
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
      const key = ctx.ip ?? 'unknown';
      const wait = throttle.retryAfterMs(key, Date.now());
      if (wait > 0)
        throw new RateLimitedError('too many failed logins; wait before trying again', Math.ceil(wait / 1000));
      const input = c.req.valid('json');
      try {
        const session = await login({ ctx, input: { ...input, userAgent: c.req.header('user-agent') } });
        throttle.succeed(key);
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
        throttle.fail(key, Date.now());
        throw err;
      }
    },
  );

  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/logout',
    tags: ['auth'],
    summary: 'End the dashboard session (clears the cookie)',
    responses: { 204: { description: 'Logged out' } },
  });
  app.post('/logout', async (c) => {
    const token = readSessionCookie(c);
    if (token) await logout({ db: deps.db, token });
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  return app;
}
