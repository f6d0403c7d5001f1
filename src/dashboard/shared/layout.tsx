import type { Child, PropsWithChildren } from 'hono/jsx';
import type { AdminRole } from '../../auth/roles.ts';
import { CSRF_FIELD } from './session.ts';

export const NAV = [
  { href: '/', label: 'Overview' },
  { href: '/peers', label: 'Peers' },
  { href: '/routes', label: 'Routes' },
  { href: '/policies', label: 'Policies' },
  { href: '/gateways', label: 'Gateways' },
  { href: '/users', label: 'Users' },
  { href: '/access-log', label: 'Access log' },
  { href: '/tokens', label: 'API tokens' },
  { href: '/alerts', label: 'Alerts' },
  { href: '/audit', label: 'Audit' },
  { href: '/settings', label: 'Settings' },
] as const;

export interface PageMeta {
  title: string;
  /** The current path (the nav marks its section). */
  path: string;
  username?: string | undefined;
  /** The signed-in user's role: sections and buttons it cannot use are left out (src/dashboard/shared/role-filter.ts). */
  role?: AdminRole | undefined;
  csrf?: string | undefined;
  flash?: string | undefined;
}

function Head({ title }: { title: string }) {
  return (
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="color-scheme" content="light dark" />
      {/* htmx would inject a <style> for its indicators; the CSP allows our stylesheet only. */}
      <meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"historyCacheSize":0}' />
      <title>{title} · Gatehouse</title>
      <link rel="stylesheet" href="/assets/app.css" />
      <script src="/assets/htmx.min.js" defer></script>
      <script src="/assets/app.js" defer></script>
      <script src="/assets/simplewebauthn.js" defer></script>
      <script src="/assets/passkeys.js" defer></script>
    </head>
  );
}

const section = (path: string, href: string) =>
  href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`);

/** Every signed-in page: header with the sections, the flash message, the page itself. */
export function Layout({ meta, children }: PropsWithChildren<{ meta: PageMeta }>) {
  return (
    <html lang="en">
      <Head title={meta.title} />
      <body hx-headers={meta.csrf ? JSON.stringify({ 'X-CSRF-Token': meta.csrf }) : undefined}>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <a class="brand" href="/">
            <span aria-hidden="true" class="logo">
              ⌂
            </span>{' '}
            Gatehouse
          </a>
          <nav aria-label="Sections">
            <ul>
              {NAV.map((item) => (
                <li>
                  <a href={item.href} aria-current={section(meta.path, item.href) ? 'page' : undefined}>
                    {item.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <div class="who">
            <a href="/account" aria-current={meta.path === '/account' ? 'page' : undefined}>
              {meta.username}
              {meta.role ? <span class="role"> · {meta.role}</span> : null}
            </a>
            <form method="post" action="/logout" class="inline">
              <Csrf token={meta.csrf} />
              <button type="submit" class="link">
                Log out
              </button>
            </form>
          </div>
        </header>
        <main id="main" tabindex={-1}>
          {meta.flash ? (
            <p class="flash" role="status">
              {meta.flash}
            </p>
          ) : null}
          {children}
        </main>
      </body>
    </html>
  );
}

/** The login and TOTP pages: no navigation. */
export function Bare({ title, children }: PropsWithChildren<{ title: string }>) {
  return (
    <html lang="en">
      <Head title={title} />
      <body class="bare">
        <main id="main" class="card narrow">
          <p class="brand">
            <span aria-hidden="true" class="logo">
              ⌂
            </span>{' '}
            Gatehouse
          </p>
          {children}
        </main>
      </body>
    </html>
  );
}

export const Csrf = ({ token }: { token?: string | undefined }) =>
  token ? <input type="hidden" name={CSRF_FIELD} value={token} /> : null;

/** The error under a control, referenced by the control's aria-describedby. */
export function FieldError({ id, error }: { id: string; error?: string | undefined }) {
  return error ? (
    <p class="field-error" id={`${id}-error`}>
      {error}
    </p>
  ) : null;
}

export const describedBy = (id: string, error?: string, hint?: boolean) =>
  [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;

/** Label + text input + hint + error, the common case. */
export function TextField(props: {
  name: string;
  label: string;
  value?: string | number | null | undefined;
  error?: string | undefined;
  hint?: Child;
  type?: string;
  required?: boolean;
  placeholder?: string;
  inputmode?: 'numeric' | 'text' | 'email' | 'search' | 'tel' | 'url' | 'decimal' | 'none';
  autocomplete?: string;
  id?: string;
  class?: string;
  pattern?: string;
  autofocus?: boolean;
}) {
  const id = props.id ?? props.name;
  return (
    <div class={`field ${props.class ?? ''} ${props.error ? 'has-error' : ''}`}>
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value === null || props.value === undefined ? '' : String(props.value)}
        required={props.required}
        placeholder={props.placeholder}
        inputmode={props.inputmode}
        autocomplete={props.autocomplete ?? 'off'}
        pattern={props.pattern}
        autofocus={props.autofocus}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={describedBy(id, props.error, Boolean(props.hint))}
      />
      {props.hint ? (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      ) : null}
      <FieldError id={id} error={props.error} />
    </div>
  );
}

export function Badge({ tone, children }: PropsWithChildren<{ tone: 'ok' | 'warn' | 'bad' | 'muted' }>) {
  return <span class={`badge ${tone}`}>{children}</span>;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function ErrorSummary({ summary }: { summary?: string | undefined }) {
  return summary ? (
    <div class="error-summary" role="alert">
      {summary}
    </div>
  ) : null;
}
