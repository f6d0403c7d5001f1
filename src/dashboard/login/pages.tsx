import { Bare, Csrf, ErrorSummary, TextField } from '../shared/layout.tsx';

export function LoginPage(props: {
  csrf: string;
  error?: string | undefined;
  notice?: string | undefined;
  username?: string;
  next?: string;
}) {
  return (
    <Bare title="Log in">
      <h1>Log in</h1>
      {props.notice ? (
        <p class="flash" role="status">
          {props.notice}
        </p>
      ) : null}
      <ErrorSummary summary={props.error} />
      <form method="post" action="/login" class="stack">
        <Csrf token={props.csrf} />
        {props.next ? <input type="hidden" name="next" value={props.next} /> : null}
        <TextField name="username" label="Username" value={props.username ?? ''} autocomplete="username" required />
        <TextField name="password" label="Password" type="password" autocomplete="current-password" required />
        <button type="submit" class="primary">
          Log in
        </button>
      </form>
      <PasskeyButton next={props.next} label="Sign in with a passkey" />
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
