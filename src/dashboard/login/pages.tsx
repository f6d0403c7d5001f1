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
    </Bare>
  );
}

export function TotpPage(props: { csrf: string; error?: string | undefined; next?: string }) {
  return (
    <Bare title="Two-factor code">
      <h1>Two-factor code</h1>
      <p>Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
      <ErrorSummary summary={props.error} />
      <form method="post" action="/login/totp" class="stack">
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
