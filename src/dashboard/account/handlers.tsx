import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { confirmTotpEnrollment, disableTotp, startTotpEnrollment, totpStatus } from '../../services/admin/totp.ts';
import { str, toFormErrors } from '../shared/forms.ts';
import { meta, page } from '../shared/render.ts';
import { type DashEnv, formOf, redirect } from '../shared/session.ts';
import { AccountPage } from './page.tsx';

/** TOTP state and, while enrolling, the secret to scan. */
async function totpState(c: Context<DashEnv>) {
  const ctx = c.get('ctx');
  const totp = await totpStatus({ ctx });
  const enrollment = totp.enrolling ? await startTotpEnrollment({ ctx }) : undefined;
  return { totp, enrollment };
}

/** The signed-in admin's account: turning TOTP on (enrol, confirm with a code) and off (with a code). */
export function accountDashboard(session: MiddlewareHandler<DashEnv>) {
  const app = new Hono<DashEnv>();

  app.get('/account', session, async (c) =>
    page(c, <AccountPage meta={meta(c, 'Account')} {...(await totpState(c))} />),
  );

  app.post('/account/totp/start', session, async (c) => {
    await startTotpEnrollment({ ctx: c.get('ctx') });
    return redirect(c, '/account');
  });

  const totpAction = (path: string, verb: typeof confirmTotpEnrollment, done: string) =>
    app.post(path, session, async (c) => {
      const form = await formOf(c);
      try {
        await verb({ ctx: c.get('ctx'), input: { code: str(form, 'code') } });
        return redirect(c, `/account?done=${done}`);
      } catch (err) {
        const errors = toFormErrors(err, ['code']);
        const error = errors.fields.code ? `The code ${errors.fields.code}.` : errors.summary;
        return page(
          c,
          <AccountPage meta={meta(c, 'Account', '/account')} {...(await totpState(c))} error={error} />,
          422,
        );
      }
    });
  totpAction('/account/totp/confirm', confirmTotpEnrollment, 'totp-enabled');
  totpAction('/account/totp/disable', disableTotp, 'totp-disabled');

  return app;
}
