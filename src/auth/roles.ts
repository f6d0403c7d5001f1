/**
 * Admin roles, lowest first. `owner` may do everything (and at least one enabled owner always remains,
 * src/services/users/guard.ts); `admin` everything but owner-only operations; `operator` peers, routes,
 * gateways and policies but not users, tokens or settings; `viewer` reads. Which operation needs which role
 * is one table: src/http/permissions.ts.
 */
export const ADMIN_ROLES = ['viewer', 'operator', 'admin', 'owner'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

const RANK: Record<AdminRole, number> = { viewer: 0, operator: 1, admin: 2, owner: 3 };

export function roleAtLeast(role: AdminRole, needed: AdminRole): boolean {
  return RANK[role] >= RANK[needed];
}

/** The lower of two roles: what a token may do is its scope's role, never more than its creator's. */
export function lowerRole(a: AdminRole, b: AdminRole): AdminRole {
  return RANK[a] <= RANK[b] ? a : b;
}

export function isAdminRole(value: unknown): value is AdminRole {
  return typeof value === 'string' && (ADMIN_ROLES as readonly string[]).includes(value);
}

/** API token scopes (kept for compatibility) and the role each one stands for. */
export const TOKEN_SCOPE_ROLE = { read: 'viewer', write: 'operator', admin: 'admin' } as const satisfies Record<
  string,
  AdminRole
>;
export type TokenScopeName = keyof typeof TOKEN_SCOPE_ROLE;
