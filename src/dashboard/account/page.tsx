import { raw } from 'hono/html';
import { Csrf, ErrorSummary, Layout, type PageMeta, TextField } from '../shared/layout.tsx';

export function AccountPage(props: {
  meta: PageMeta;
  totp: { enabled: boolean };
  enrollment?: { secret: string; qr_svg: string } | undefined;
  error?: string | undefined;
}) {
  const { meta, totp, enrollment } = props;
  return (
    <Layout meta={meta}>
      <h1>Account</h1>
      <section class="card" aria-labelledby="totp-h">
        <h2 id="totp-h">Two-factor login (TOTP)</h2>
        {totp.enabled ? (
          <>
            <p>
              TOTP is <strong>on</strong>: every login asks for a code from your authenticator app.
            </p>
            <form method="post" action="/account/totp/disable" class="row">
              <Csrf token={meta.csrf} />
              <TextField name="code" id="disable-code" label="Current code" inputmode="numeric" error={props.error} />
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
                <ErrorSummary summary={props.error} />
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
    </Layout>
  );
}
