import { type Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { safeEqual } from '../../auth/secrets.ts';
import { AppError } from '../../errors.ts';
import { anonymousContext, readSessionCookie, writeSessionCookie } from '../../http/middleware.ts';
import type { AppDeps, AppEnv } from '../../http/types.ts';
import { ChallengeStore } from '../../services/passkeys/challenges.ts';
import { authenticationOptions } from '../../services/passkeys/index.ts';
import { SESSION_TTL_MS } from '../../services/sessions/index.ts';
import { finishPasskeyLogin } from '../../services/sessions/passkey-login.ts';
import { pendingLoginUser } from '../../services/sessions/two-step.ts';
import { relyingParty } from '../shared/relying-party.ts';
import { type DashEnv, LOGIN_CSRF_COOKIE } from '../shared/session.ts';

/** Same rule as the password login's `next`: our own pages only. */
const safeNext = (v: unknown) =>
  typeof v === 'string' && /^\/(?![/\\])[\w\-./?=&%]*$/.test(v) && !v.startsWith('/login') ? v : '/';

/**
 * Passkey login for the dashboard, called by /assets/passkeys.js: options, then the browser's assertion. With
 * a pending login (the password was right) the passkey must be that user's; without one it is passwordless.
 * The login form's CSRF cookie ties both calls to this browser and keys the challenge.
 */
export function passkeyLoginDashboard(deps: AppDeps) {
  const app = new Hono<DashEnv>();
  const challenges = new ChallengeStore();

  const browserKey = (c: Context) => {
    const cookie = getCookie(c, LOGIN_CSRF_COOKIE) ?? '';
    const sent = c.req.header('x-csrf-token') ?? '';
    return cookie.length >= 20 && safeEqual(cookie, sent) ? cookie : null;
  };
  const refuse = (c: Context, message: string, status: 401 | 403 = 401) =>
    c.json({ error: { code: status === 401 ? 'unauthorized' : 'forbidden', message } }, status);

  app.post('/login/passkey/options', async (c) => {
    const key = browserKey(c);
    if (!key) return refuse(c, 'the form expired; reload the page', 403);
    const ctx = anonymousContext(deps, c as unknown as Context<AppEnv>);
    const pendingToken = readSessionCookie(c);
    const pending = pendingToken ? await pendingLoginUser({ ctx, pendingToken }) : null;
    const options = await authenticationOptions({ db: deps.db, rp: relyingParty(deps.config, c), userId: pending?.id });
    challenges.put(key, options.challenge, deps.now().getTime());
    c.header('Cache-Control', 'no-store');
    return c.json(options);
  });

  app.post('/login/passkey', async (c) => {
    const key = browserKey(c);
    if (!key) return refuse(c, 'the form expired; reload the page', 403);
    const waiting = challenges.take(key, deps.now().getTime());
    if (!waiting) return refuse(c, 'the passkey prompt expired; try again');
    const body = (await c.req.json().catch(() => null)) as { response?: unknown; next?: unknown } | null;
    if (!body || typeof body.response !== 'object' || body.response === null) return refuse(c, 'no passkey answer');
    const ctx = anonymousContext(deps, c as unknown as Context<AppEnv>);
    try {
      const done = await finishPasskeyLogin({
        ctx,
        rp: relyingParty(deps.config, c),
        input: {
          response: body.response as never,
          expectedChallenge: waiting.challenge,
          pendingToken: readSessionCookie(c),
          userAgent: c.req.header('user-agent'),
        },
      });
      writeSessionCookie(c, done.token, SESSION_TTL_MS / 1000);
      return c.json({ next: safeNext(body.next) });
    } catch (err) {
      if (err instanceof AppError && err.code === 'unauthorized') return refuse(c, err.message);
      throw err;
    }
  });
  return app;
}
