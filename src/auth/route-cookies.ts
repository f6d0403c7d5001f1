/**
 * Cookies of route auth. `__Host-` names make browsers insist on Secure, Path=/ and no Domain attribute:
 * the cookie belongs to exactly the route's host name and nobody can plant it from a sibling domain.
 */
export const ROUTE_SESSION_COOKIE = '__Host-gatehouse_auth';
export const ROUTE_CSRF_COOKIE = '__Host-gatehouse_csrf';
/** A route login through an identity provider, between the login page and the callback (route-oidc-logins.ts). */
export const ROUTE_OIDC_COOKIE = '__Host-gatehouse_oidc';
/**
 * The opt-in single sign-on session cookie (auth_sso_domain): Domain=<parent>, so `__Secure-` (Secure is still
 * enforced) instead of `__Host-`. Every host under the parent receives it: SECURITY.md says what that means.
 */
export const ROUTE_SSO_COOKIE = '__Secure-gatehouse_sso';
const OURS = /^__(?:Host|Secure)-gatehouse_/;

/** The reserved path prefix on every route with auth: served by the control plane, never by the upstream. */
export const LOGIN_PREFIX = '/.gatehouse';
export const VERIFY_PATH = '/auth/verify';

/**
 * The Cookie header without our cookies, for the upstream (it must never see a session token). Returns ''
 * when nothing is left. Pairs are kept byte for byte, in order.
 */
export function stripOurCookies(header: string | undefined): string {
  if (!header) return '';
  return header
    .split(';')
    .map((pair) => pair.trim())
    .filter(
      (pair) => pair !== '' && !OURS.test(pair.slice(0, pair.includes('=') ? pair.indexOf('=') : pair.length).trim()),
    )
    .join('; ');
}

/** Where to send the browser after login: a path on the same host, never another site or our own pages. */
export function safeReturnPath(value: string | undefined | null): string {
  if (!value || value.length > 2048) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  // Control characters and backslashes (browsers read `\` as `/`).
  if ([...value].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f || ch === '\\')) return '/';
  if (value === LOGIN_PREFIX || value.startsWith(`${LOGIN_PREFIX}/`)) return '/';
  return value;
}

/** Host header → host name (lower case, port removed). */
export function hostName(host: string | undefined): string {
  if (!host) return '';
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.replace(/:\d+$/, '').replace(/\.$/, '');
}

/** Does `host` belong to a route with this domain (exact, or one label under a `*.` wildcard)? */
export function hostMatches(domain: string | null, host: string): boolean {
  if (!domain || !host) return false;
  if (domain.startsWith('*.')) {
    const parent = domain.slice(1);
    return host.endsWith(parent) && host.length > parent.length && !host.slice(0, -parent.length).includes('.');
  }
  return host === domain;
}
