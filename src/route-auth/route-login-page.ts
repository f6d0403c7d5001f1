import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { LOGIN_PREFIX } from '../auth/route-cookies.ts';

/**
 * The login pages on a protected route's own domain: plain server-rendered HTML forms (no scripts, no
 * external assets), so they work without JavaScript and under a strict Content-Security-Policy. Every
 * value is escaped by the `html` helper.
 */
export const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
} as const;

const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002;width:100%;max-width:22rem}
h1{font-size:1.25rem;margin:0 0 1rem}label{display:block;margin:.75rem 0 .25rem;font-size:.9rem}
input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}button{margin-top:1rem;width:100%;padding:.6rem;font-size:1rem}
.error{color:#a00;background:#fee;padding:.5rem;border-radius:4px}.note{color:#555;font-size:.85rem}`;

function layout(title: string, body: HtmlEscapedString | Promise<HtmlEscapedString>) {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${title}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

const errorBox = (error: string | undefined) => (error ? html`<p class="error" role="alert">${error}</p>` : '');

export function loginPage(opts: {
  routeName: string;
  csrf: string;
  returnTo: string;
  askUsername: boolean;
  usernameOptional: boolean;
  error?: string | undefined;
}) {
  return layout(
    `Log in – ${opts.routeName}`,
    html`<h1>Log in to ${opts.routeName}</h1>${errorBox(opts.error)}
<form method="post" action="${LOGIN_PREFIX}/login">
<input type="hidden" name="csrf" value="${opts.csrf}"><input type="hidden" name="rd" value="${opts.returnTo}">
${
  opts.askUsername
    ? html`<label for="username">Username${opts.usernameOptional ? ' (leave empty for the shared password)' : ''}</label>
<input id="username" name="username" autocomplete="username" maxlength="64" ${opts.usernameOptional ? '' : 'required'} autofocus>`
    : ''
}
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" maxlength="1024" required ${opts.askUsername ? '' : 'autofocus'}>
<button type="submit">Log in</button></form>`,
  );
}

export function totpPage(opts: { routeName: string; csrf: string; returnTo: string; error?: string | undefined }) {
  return layout(
    `Verification code – ${opts.routeName}`,
    html`<h1>Verification code</h1>${errorBox(opts.error)}
<p class="note">Enter the 6-digit code from your authenticator app.</p>
<form method="post" action="${LOGIN_PREFIX}/totp">
<input type="hidden" name="csrf" value="${opts.csrf}"><input type="hidden" name="rd" value="${opts.returnTo}">
<label for="code">Code</label>
<input id="code" name="code" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code" required autofocus>
<button type="submit">Verify</button></form>`,
  );
}

export function logoutPage(opts: { routeName: string; csrf: string }) {
  return layout(
    `Log out – ${opts.routeName}`,
    html`<h1>Log out of ${opts.routeName}?</h1>
<form method="post" action="${LOGIN_PREFIX}/logout"><input type="hidden" name="csrf" value="${opts.csrf}">
<button type="submit">Log out</button></form>`,
  );
}

export function messagePage(title: string, message: string) {
  return layout(title, html`<h1>${title}</h1><p>${message}</p>`);
}

/** A share link's page: one button, posting back to the link itself (a preview that fetches the link spends nothing). */
export function sharePage(opts: { routeName: string; linkName: string; csrf: string }) {
  return layout(
    `Open ${opts.routeName}`,
    html`<h1>Open ${opts.routeName}</h1><p>You were given a link (${opts.linkName}) to this site.</p>
<form method="post"><input type="hidden" name="csrf" value="${opts.csrf}">
<button type="submit">Open ${opts.routeName}</button></form>`,
  );
}

/** A page with one way on (a link, so no form-action limits where it leads): the provider's errors, the 403. */
export function linkPage(opts: { title: string; message: string; href: string; link: string }) {
  return layout(
    opts.title,
    html`<h1>${opts.title}</h1><p>${opts.message}</p><p><a href="${opts.href}">${opts.link}</a></p>`,
  );
}
