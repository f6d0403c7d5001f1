import type { LoginOptions } from '../../services/identity-providers/login-options.ts';
import { Bare, Csrf, ErrorSummary, TextField } from '../shared/layout.tsx';

/** The identity providers' buttons; a provider that did not answer lately says so beside its button. */
function SsoChoices({ sso, next }: { sso: LoginOptions; next?: string | undefined }) {
  if (sso.providers.length === 0) return null;
  const query = next && next !== '/' ? `?next=${encodeURIComponent(next)}` : '';
  return (
    <section class="stack" aria-label="Single sign-on">
      {sso.providers.map((p) => (
        <p>
          <a class="button primary" href={`/login/oidc/${p.id}${query}`}>
            Log in with {p.name}
          </a>
          {p.down ? (
            <span class="hint" role="status">
              {' '}
              {p.name} did not answer at the last attempt; it may be down. Sessions already open keep working.
            </span>
          ) : null}
        </p>
      ))}
    </section>
  );
}

export function LoginPage(props: {
  csrf: string;
  error?: string | undefined;
  notice?: string | undefined;
  username?: string;
  next?: string;
  sso?: LoginOptions | undefined;
}) {
  const sso = props.sso ?? { providers: [], ssoOnly: false };
  const passwordForm = (
    <form method="post" action="/login" class="stack">
      <Csrf token={props.csrf} />
      {props.next ? <input type="hidden" name="next" value={props.next} /> : null}
      <TextField name="username" label="Username" value={props.username ?? ''} autocomplete="username" required />
      <TextField name="password" label="Password" type="password" autocomplete="current-password" required />
      <button type="submit" class={sso.providers.length > 0 ? '' : 'primary'}>
        Log in
      </button>
    </form>
  );
  const localLogin = (
    <>
      {passwordForm}
      <PasskeyButton next={props.next} label="Sign in with a passkey" />
    </>
  );
  return (
    <Bare title="Log in">
      <h1>Log in</h1>
      {props.notice ? (
        <p class="flash" role="status">
          {props.notice}
        </p>
      ) : null}
      <ErrorSummary summary={props.error} />
      <SsoChoices sso={sso} next={props.next} />
      {sso.ssoOnly ? (
        <details>
          <summary>Break-glass owner login (passwords are off)</summary>
          {localLogin}
        </details>
      ) : (
        localLogin
      )}
    </Bare>
  );
}

/** After the provider's answer: the session cookie is SameSite=Strict, so the first page comes from our own page. */
export function SsoDonePage({ next }: { next: string }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta http-equiv="refresh" content={`0;url=${next}`} />
        <title>Logged in</title>
      </head>
      <body>
        <p>
          Logged in. <a href={next}>Continue</a>
        </p>
      </body>
    </html>
  );
}

/** A provider login that Gatehouse refuses (no mapped group, disabled account) or could not finish. */
export function SsoRefusedPage({ title, message }: { title: string; message: string }) {
  return (
    <Bare title={title}>
      <h1>{title}</h1>
      <p role="alert">{message}</p>
      <p>
        <a href="/login">Back to the login page</a>
      </p>
    </Bare>
  );
}

/** Runs /assets/passkeys.js: a passkey login (the second step when a password login is pending). */
function PasskeyButton(props: { next?: string | undefined; label: string }) {
  return (
    <div class="stack">
      <button type="button" id="passkey-login" class="secondary" data-next={props.next ?? '/'}>
        {props.label}
      </button>
      <p id="passkey-status" role="status" />
    </div>
  );
}

export function TotpPage(props: {
  csrf: string;
  error?: string | undefined;
  next?: string;
  /** Which second factors the account has (both when absent: the form is what a TOTP login always showed). */
  factors?: { totp: boolean; passkey: boolean } | undefined;
}) {
  const totp = props.factors?.totp ?? true;
  const passkey = props.factors?.passkey ?? false;
  return (
    <Bare title="Two-factor code">
      <h1>{totp ? 'Two-factor code' : 'Confirm with your passkey'}</h1>
      {totp ? <p>Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p> : null}
      <ErrorSummary summary={props.error} />
      {passkey ? <Csrf token={props.csrf} /> : null}
      {passkey ? <PasskeyButton next={props.next} label="Use a passkey" /> : null}
      <form method="post" action="/login/totp" class="stack" hidden={!totp}>
        <Csrf token={props.csrf} />
        {props.next ? <input type="hidden" name="next" value={props.next} /> : null}
        <TextField name="code" label="Code" autocomplete="one-time-code" required autofocus />
        <button type="submit" class="primary">
          Verify
        </button>
      </form>
      <p>
        <a href="/login">Start over</a>
      </p>
    </Bare>
  );
}
