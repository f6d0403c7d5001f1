import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { ADMIN_LOGIN_SCOPE, type LoginThrottle } from '../../auth/login-throttle.ts';
import { readSessionCookie } from '../../http/middleware.ts';
import type { AppDeps } from '../../http/types.ts';
import { changeAdminPassword, isWrongCurrentPassword } from '../../services/admin/password.ts';
import {
  confirmTotpEnrollment,
  disableTotp,
  regenerateRecoveryCodes,
  startTotpEnrollment,
  totpStatus,
} from '../../services/admin/totp.ts';
import { str, toFormErrors } from '../shared/forms.ts';
import { meta, page } from '../shared/render.ts';
import { type DashEnv, formOf, redirect } from '../shared/session.ts';
import { type AccountErrors, AccountPage } from './page.tsx';

/** TOTP state and, while enrolling, the secret to scan. */
async function totpState(c: Context<DashEnv>) {
  const ctx = c.get('ctx');
  const totp = await totpStatus({ ctx });
  const enrollment = totp.enrolling ? await startTotpEnrollment({ ctx }) : undefined;
  return { totp, enrollment };
}

/**
 * The signed-in admin's account: changing the password, turning TOTP on (enrol, confirm with a code; the recovery
 * codes are shown then, once) and off (with a code), and new recovery codes (with the password). Wrong passwords
 * here count as failed logins in the admin login throttle (`throttle`, shared with the logins).
 */
export function accountDashboard(deps: AppDeps, session: MiddlewareHandler<DashEnv>, throttle: LoginThrottle) {
  const app = new Hono<DashEnv>();
  const account = async (
    c: Context<DashEnv>,
    extra: { errors?: AccountErrors; recoveryCodes?: string[]; flash?: string } = {},
  ) => {
    const { flash, ...rest } = extra;
    const pageMeta = { ...meta(c, 'Account', '/account'), ...(flash ? { flash } : {}) };
    return page(c, <AccountPage meta={pageMeta} {...(await totpState(c))} {...rest} />, extra.errors ? 422 : 200);
  };
  const failed = (c: Context<DashEnv>, form: AccountErrors['form'], err: unknown, fields: string[]) => {
    const errors = toFormErrors(err, fields);
    return account(c, { errors: { form, fields: errors.fields, summary: errors.summary } });
  };
  /** A password check as a login sees it: refused while the client or account waits, counted when wrong. */
  const throttled = async (
    c: Context<DashEnv>,
    form: AccountErrors['form'],
    field: string,
    run: () => Promise<Response>,
  ) => {
    const attempt = { scope: ADMIN_LOGIN_SCOPE, account: c.get('username'), ip: c.get('ctx').ip ?? 'unknown' };
    const wait = throttle.retryAfterSeconds(attempt, deps.now().getTime());
    if (wait > 0) {
      c.header('Retry-After', String(wait));
      const summary = `Too many wrong passwords; wait ${wait} s and try again.`;
      return page(
        c,
        <AccountPage
          meta={meta(c, 'Account', '/account')}
          {...(await totpState(c))}
          errors={{ form, fields: { [field]: summary }, summary }}
        />,
        429 as 422,
      );
    }
    try {
      const res = await run();
      throttle.succeed(attempt);
      return res;
    } catch (err) {
      if (isWrongCurrentPassword(err)) throttle.fail(attempt, deps.now().getTime());
      throw err;
    }
  };

  app.get('/account', session, (c) => account(c));

  app.post('/account/password', session, async (c) => {
    const form = await formOf(c);
    // Not trimmed: spaces inside a password are the admin's choice (the service refuses them at the ends).
    const raw = (key: string) => (typeof form[key] === 'string' ? (form[key] as string) : '');
    if (raw('new_password') !== raw('confirm_password'))
      return account(c, {
        errors: { form: 'password', fields: { confirm_password: 'does not match the new password' } },
      });
    try {
      return await throttled(c, 'password', 'current_password', async () => {
        await changeAdminPassword({
          ctx: c.get('ctx'),
          input: {
            current_password: raw('current_password'),
            new_password: raw('new_password'),
            keep_session_token: readSessionCookie(c),
          },
        });
        return redirect(c, '/account?done=password-changed');
      });
    } catch (err) {
      return failed(c, 'password', err, ['current_password', 'new_password']);
    }
  });

  app.post('/account/recovery-codes', session, async (c) => {
    const form = await formOf(c);
    const password = typeof form.password === 'string' ? form.password : '';
    try {
      return await throttled(c, 'recovery', 'password', async () => {
        const { recovery_codes } = await regenerateRecoveryCodes({ ctx: c.get('ctx'), input: { password } });
        c.header('Cache-Control', 'no-store');
        return account(c, {
          recoveryCodes: recovery_codes,
          flash: 'New recovery codes made; the old ones no longer work.',
        });
      });
    } catch (err) {
      return failed(c, 'recovery', err, ['password']);
    }
  });

  app.post('/account/totp/start', session, async (c) => {
    await startTotpEnrollment({ ctx: c.get('ctx') });
    return redirect(c, '/account');
  });

  app.post('/account/totp/confirm', session, async (c) => {
    const form = await formOf(c);
    try {
      const { recovery_codes } = await confirmTotpEnrollment({ ctx: c.get('ctx'), input: { code: str(form, 'code') } });
      // The codes exist in the clear only in this response: no redirect, no cache.
      c.header('Cache-Control', 'no-store');
      return account(c, { recoveryCodes: recovery_codes, flash: 'TOTP is on. The next login asks for a code.' });
    } catch (err) {
      return failed(c, 'totp', err, ['code']);
    }
  });

  app.post('/account/totp/disable', session, async (c) => {
    const form = await formOf(c);
    try {
      await disableTotp({ ctx: c.get('ctx'), input: { code: str(form, 'code') } });
      return redirect(c, '/account?done=totp-disabled');
    } catch (err) {
      return failed(c, 'totp', err, ['code']);
    }
  });

  return app;
}
