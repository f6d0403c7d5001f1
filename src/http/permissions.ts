import type { AdminRole } from '../auth/roles.ts';

/**
 * THE permission table: the least role each API operation and each dashboard action needs. One table, applied
 * by one middleware (`authorize` in src/http/middleware.ts) on the API and by the dashboard's session check
 * (src/dashboard/shared/session.ts), which also hides what the role cannot do. Anything not listed needs
 * `owner`: a new route is never open by accident (test/security/24-roles.test.ts walks the OpenAPI document and
 * fails when an operation is missing here).
 *
 * `public`: no login (the middleware never runs there; listed so the walk knows). `gateway`: a gateway agent's
 * own token (src/api/gateway-sync.ts), never an admin's.
 */
export type Need = AdminRole | 'public' | 'gateway';
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Permission {
  method: Method;
  /** OpenAPI-style pattern: `{name}` is one path segment, a trailing `/*` any rest. */
  path: string;
  need: Need;
}

const rule = (method: Method, path: string, need: Need): Permission => ({ method, path, need });
/** Reads for everyone logged in, changes for `write`. */
const resource = (base: string, write: AdminRole, read: AdminRole = 'viewer'): Permission[] => [
  rule('GET', base, read),
  rule('POST', base, write),
  rule('GET', `${base}/{id}`, read),
  rule('PUT', `${base}/{id}`, write),
  rule('PATCH', `${base}/{id}`, write),
  rule('DELETE', `${base}/{id}`, write),
];

export const API_PERMISSIONS: readonly Permission[] = [
  rule('POST', '/api/v1/auth/login', 'public'),
  rule('POST', '/api/v1/auth/logout', 'public'),
  rule('POST', '/api/v1/auth/invite', 'public'),
  // Every logged-in user changes their own password (a token cannot: src/api/auth.ts).
  rule('POST', '/api/v1/auth/password', 'viewer'),
  rule('GET', '/api/v1/gateway/events', 'gateway'),
  rule('POST', '/api/v1/gateway/status', 'gateway'),
  rule('GET', '/api/v1/openapi.json', 'viewer'),
  rule('GET', '/api/v1/docs', 'viewer'),
  rule('GET', '/api/v1/me', 'viewer'),
  rule('GET', '/api/v1/health', 'viewer'),
  rule('GET', '/api/v1/status/agreement', 'viewer'),
  ...resource('/api/v1/peers', 'operator'),
  // A peer's wg-quick file carries its private key: not for viewers.
  rule('GET', '/api/v1/peers/{id}/config', 'operator'),
  rule('GET', '/api/v1/peers/{id}/qr', 'operator'),
  rule('GET', '/api/v1/peers/{id}/stats', 'viewer'),
  ...resource('/api/v1/routes', 'operator'),
  rule('GET', '/api/v1/routes/{id}/explain', 'viewer'),
  // Live connections (issue 19): listing is a read; ending one is an operator's act (audit-logged).
  rule('GET', '/api/v1/routes/{id}/connections', 'viewer'),
  rule('DELETE', '/api/v1/routes/{id}/connections/{connection}', 'operator'),
  rule('GET', '/api/v1/routes/{id}/traffic', 'viewer'),
  rule('GET', '/api/v1/routes/{id}/clients', 'viewer'),
  rule('GET', '/api/v1/routes/{id}/auth-users', 'viewer'),
  rule('POST', '/api/v1/routes/{id}/auth-users', 'operator'),
  rule('PUT', '/api/v1/routes/{id}/auth-users/{user_id}', 'operator'),
  rule('DELETE', '/api/v1/routes/{id}/auth-users/{user_id}', 'operator'),
  rule('POST', '/api/v1/routes/{id}/auth-users/{user_id}/totp', 'operator'),
  rule('GET', '/api/v1/routes/{id}/share-links', 'viewer'),
  rule('POST', '/api/v1/routes/{id}/share-links', 'operator'),
  rule('DELETE', '/api/v1/routes/{id}/share-links/{link_id}', 'operator'),
  rule('GET', '/api/v1/routes/{id}/app-tokens', 'viewer'),
  rule('POST', '/api/v1/routes/{id}/app-tokens', 'operator'),
  rule('DELETE', '/api/v1/routes/{id}/app-tokens/{token_id}', 'operator'),
  ...resource('/api/v1/gateways', 'operator'),
  rule('POST', '/api/v1/gateways/{id}/rotate-token', 'operator'),
  // Shared access policies (issue 15) are the operators' like routes.
  ...resource('/api/v1/policies', 'operator'),
  // Explain changes nothing (a POST only for its body): a read.
  rule('POST', '/api/v1/policies/explain', 'viewer'),
  rule('POST', '/api/v1/policies/{id}/explain', 'viewer'),
  ...resource('/api/v1/tokens', 'admin', 'admin'),
  rule('GET', '/api/v1/settings', 'admin'),
  rule('PATCH', '/api/v1/settings', 'admin'),
  rule('GET', '/api/v1/tls/root-certificate', 'admin'),
  ...resource('/api/v1/users', 'admin', 'admin'),
  rule('POST', '/api/v1/users/{id}/invite', 'admin'),
  // Configuration as code and backups (issue 18). Export reads (secrets need admin: src/api/config.ts); a plan
  // changes nothing; apply and import may change settings too, so they are the admins'; a backup holds every secret.
  rule('GET', '/api/v1/config/export', 'viewer'),
  rule('POST', '/api/v1/config/plan', 'viewer'),
  rule('POST', '/api/v1/config/apply', 'admin'),
  rule('POST', '/api/v1/config/import', 'admin'),
  rule('GET', '/api/v1/backups', 'admin'),
  rule('GET', '/api/v1/backups/{name}', 'admin'),
  // The access log (issue 17): what every route saw; read like the routes themselves.
  rule('GET', '/api/v1/access-log', 'viewer'),
  rule('GET', '/api/v1/access-log/export', 'viewer'),
  rule('GET', '/api/v1/access-log/stream', 'viewer'),
  // The audit log and alert channels (issue 17): channel secrets and who-did-what are the admins'.
  rule('GET', '/api/v1/audit', 'admin'),
  rule('GET', '/api/v1/alerts/active', 'admin'),
  rule('GET', '/api/v1/alerts/channels', 'admin'),
  rule('POST', '/api/v1/alerts/channels', 'admin'),
  rule('GET', '/api/v1/alerts/channels/{id}', 'admin'),
  rule('PATCH', '/api/v1/alerts/channels/{id}', 'admin'),
  rule('DELETE', '/api/v1/alerts/channels/{id}', 'admin'),
  rule('POST', '/api/v1/alerts/channels/{id}/test', 'admin'),
  // Identity providers decide who becomes an admin with which role: like users, for admins.
  ...resource('/api/v1/identity-providers', 'admin', 'admin'),
];

/** The dashboard's pages and form posts. GET pages that only show a form for a change need the change's role. */
export const DASHBOARD_PERMISSIONS: readonly Permission[] = [
  rule('GET', '/', 'viewer'),
  rule('GET', '/account', 'viewer'),
  rule('POST', '/account/*', 'viewer'),
  rule('GET', '/account/*', 'viewer'),
  rule('GET', '/peers', 'viewer'),
  rule('GET', '/peers/new', 'operator'),
  rule('GET', '/peers/{id}', 'viewer'),
  rule('GET', '/peers/{id}/config', 'operator'),
  rule('GET', '/peers/{id}/delete', 'operator'),
  rule('POST', '/peers', 'operator'),
  rule('POST', '/peers/*', 'operator'),
  rule('GET', '/routes', 'viewer'),
  rule('GET', '/routes/new', 'operator'),
  rule('GET', '/routes/{id}', 'viewer'),
  rule('GET', '/routes/{id}/explain', 'viewer'),
  rule('GET', '/routes/{id}/live', 'viewer'),
  rule('GET', '/routes/{id}/connections/{connection}/end', 'operator'),
  rule('GET', '/routes/{id}/delete', 'operator'),
  rule('GET', '/routes/{id}/users/{userId}/remove', 'operator'),
  rule('POST', '/routes', 'operator'),
  rule('POST', '/routes/*', 'operator'),
  rule('GET', '/gateways', 'viewer'),
  rule('GET', '/gateways/events', 'viewer'),
  rule('GET', '/gateways/{id}', 'viewer'),
  rule('GET', '/gateways/{id}/delete', 'operator'),
  rule('GET', '/gateways/{id}/rotate', 'operator'),
  rule('POST', '/gateways', 'operator'),
  rule('POST', '/gateways/*', 'operator'),
  rule('GET', '/policies', 'viewer'),
  rule('GET', '/policies/new', 'operator'),
  rule('GET', '/policies/{id}', 'viewer'),
  rule('GET', '/policies/{id}/delete', 'operator'),
  rule('POST', '/policies', 'operator'),
  rule('POST', '/policies/*', 'operator'),
  rule('GET', '/tokens', 'admin'),
  rule('GET', '/tokens/*', 'admin'),
  rule('POST', '/tokens', 'admin'),
  rule('POST', '/tokens/*', 'admin'),
  rule('GET', '/settings', 'admin'),
  rule('GET', '/settings/*', 'admin'),
  rule('POST', '/settings/*', 'admin'),
  rule('GET', '/users', 'admin'),
  rule('GET', '/users/*', 'admin'),
  rule('POST', '/users', 'admin'),
  rule('POST', '/users/*', 'admin'),
  rule('GET', '/access-log', 'viewer'),
  rule('GET', '/access-log/*', 'viewer'),
  rule('GET', '/audit', 'admin'),
  rule('GET', '/alerts', 'admin'),
  rule('GET', '/alerts/*', 'admin'),
  rule('POST', '/alerts/*', 'admin'),
];

interface Compiled {
  method: string;
  pattern: RegExp;
  need: Need;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&');

function compile(table: readonly Permission[]): Compiled[] {
  return table.map((p) => {
    const rest = p.path.endsWith('/*');
    const base = rest ? p.path.slice(0, -2) : p.path;
    const body = base
      .split(/(\{[^}]+\})/)
      .map((part) => (/^\{[^}]+\}$/.test(part) ? '[^/]+' : escapeRegExp(part)))
      .join('');
    return { method: p.method, pattern: new RegExp(`^${body}${rest ? '/.+' : '/?'}$`), need: p.need };
  });
}

const compiled = new Map<readonly Permission[], Compiled[]>();

/** The table's entry for a request, or undefined when the table does not list it. */
export function listedPermission(table: readonly Permission[], method: string, path: string): Need | undefined {
  let rules = compiled.get(table);
  if (!rules) {
    rules = compile(table);
    compiled.set(table, rules);
  }
  const m = method === 'HEAD' ? 'GET' : method.toUpperCase();
  const matches = rules.filter((r) => r.method === m && r.pattern.test(path));
  // Exact paths before patterns: `/peers/new` must not be read as `/peers/{id}`.
  const exact = matches.find((r) => !r.pattern.source.includes('[^/]+') && !r.pattern.source.includes('/.+'));
  return (exact ?? matches[0])?.need;
}

/** The role (or `public`/`gateway`) a request needs; `owner` when the table does not list it (default-deny). */
export function permissionFor(table: readonly Permission[], method: string, path: string): Need {
  return listedPermission(table, method, path) ?? 'owner';
}
