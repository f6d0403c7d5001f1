import { raw } from 'hono/html';
import { ADMIN_PASSWORD_MIN_LENGTH } from '../../config/index.ts';
import { Csrf, ErrorSummary, Layout, type PageMeta, TextField } from '../shared/layout.tsx';

/** What a failed form on this page shows: which form, a message per field, and a summary. */
export interface AccountErrors {
  form: 'password' | 'totp' | 'recovery';
  fields: Record<string, string>;
  summary?: string | undefined;
}

export interface AccountProps {
  meta: PageMeta;
  totp: { enabled: boolean; recovery_codes_remaining: number };
  enrollment?: { secret: string; qr_svg: string } | undefined;
  /** New recovery codes, shown this once. */
  recoveryCodes?: string[] | undefined;
  errors?: AccountErrors | undefined;
}

export function AccountPage(props: AccountProps) {
  return (
    <Layout meta={props.meta}>
      <h1>Account</h1>
      {props.recoveryCodes ? <RecoveryCodesShownOnce codes={props.recoveryCodes} /> : null}
      <PasswordSection {...props} />
      <TotpSection {...props} />
      <section class="card" aria-labelledby="passkeys-h">
        <h2 id="passkeys-h">Passkeys</h2>
        <p>
          Security keys or this device's lock, as a second step after the password or to log in without one.{' '}
          <a href="/account/passkeys">Manage passkeys</a>
        </p>
      </section>
    </Layout>
  );
}

function errorsOf(props: AccountProps, form: AccountErrors['form']) {
  return props.errors?.form === form ? props.errors : undefined;
}

function PasswordSection(props: AccountProps) {
  const errors = errorsOf(props, 'password');
  return (
    <section class="card" aria-labelledby="password-h">
      <h2 id="password-h">Password</h2>
      <ErrorSummary summary={errors?.summary} />
      <form method="post" action="/account/password" class="stack">
        <Csrf token={props.meta.csrf} />
        <TextField
          name="current_password"
          label="Current password"
          type="password"
          autocomplete="current-password"
          error={errors?.fields.current_password}
          required
        />
        <TextField
          name="new_password"
          label="New password"
          type="password"
          autocomplete="new-password"
          hint={`At least ${ADMIN_PASSWORD_MIN_LENGTH} characters.`}
          error={errors?.fields.new_password}
          required
        />
        <TextField
          name="confirm_password"
          label="New password again"
          type="password"
          autocomplete="new-password"
          error={errors?.fields.confirm_password}
          required
        />
        <p class="hint">Changing the password logs you out everywhere else.</p>
        <button type="submit" class="primary">
          Change password
        </button>
      </form>
    </section>
  );
}

function RecoveryCodesShownOnce({ codes }: { codes: string[] }) {
  return (
    <section class="card" aria-labelledby="codes-h">
      <h2 id="codes-h">Your recovery codes</h2>
      <p>
        Store these now: <strong>they are shown only this once</strong>. Each code logs you in once in place of a TOTP
        code, for when your authenticator app is lost.
      </p>
      <ul class="recovery-codes" aria-label="Recovery codes">
        {codes.map((code) => (
          <li>
            <code class="secret">{code}</code>
          </li>
        ))}
      </ul>
    </section>
  );
}

function TotpSection(props: AccountProps) {
  const { meta, totp, enrollment } = props;
  const totpErrors = errorsOf(props, 'totp');
  const recoveryErrors = errorsOf(props, 'recovery');
  return (
    <section class="card" aria-labelledby="totp-h">
      <h2 id="totp-h">Two-factor login (TOTP)</h2>
      {totp.enabled ? (
        <>
          <p>
            TOTP is <strong>on</strong>: every login asks for a code from your authenticator app.
          </p>
          <p id="recovery-remaining">
            Recovery codes left: <strong>{totp.recovery_codes_remaining}</strong>
            {totp.recovery_codes_remaining <= 3 ? ' — make new ones before you run out.' : ''}
          </p>
          <form method="post" action="/account/recovery-codes" class="row">
            <Csrf token={meta.csrf} />
            <TextField
              name="password"
              id="recovery-password"
              label="Password"
              type="password"
              autocomplete="current-password"
              error={recoveryErrors?.fields.password ?? recoveryErrors?.summary}
              required
            />
            <button type="submit">New recovery codes</button>
          </form>
          <form method="post" action="/account/totp/disable" class="row">
            <Csrf token={meta.csrf} />
            <TextField
              name="code"
              id="disable-code"
              label="Current code"
              inputmode="numeric"
              error={totpErrors?.fields.code ?? totpErrors?.summary}
            />
            <button type="submit" class="danger">
              Turn off TOTP
            </button>
          </form>
        </>
      ) : enrollment ? (
        <>
          <p>Scan the code with an authenticator app (or type the secret), then enter the code it shows.</p>
          <div class="enroll">
            <figure class="qr" role="img" aria-label="QR code of the TOTP secret">
              {raw(enrollment.qr_svg)}
            </figure>
            <div>
              <p>
                Secret: <code class="secret">{enrollment.secret}</code>
              </p>
              <ErrorSummary
                summary={totpErrors?.fields.code ? `The code ${totpErrors.fields.code}.` : totpErrors?.summary}
              />
              <form method="post" action="/account/totp/confirm" class="stack">
                <Csrf token={meta.csrf} />
                <TextField
                  name="code"
                  id="totp-code"
                  label="Code from the app"
                  inputmode="numeric"
                  autocomplete="one-time-code"
                  required
                />
                <button type="submit" class="primary">
                  Turn on TOTP
                </button>
              </form>
            </div>
          </div>
        </>
      ) : (
        <form method="post" action="/account/totp/start">
          <p>TOTP is off: a login needs the password only.</p>
          <Csrf token={meta.csrf} />
          <button type="submit" class="primary">
            Set up TOTP
          </button>
        </form>
      )}
    </section>
  );
}
