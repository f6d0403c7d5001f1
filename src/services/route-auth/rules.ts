import { and, count, eq, isNull } from 'drizzle-orm';
import { hashPassword } from '../../auth/passwords.ts';
import type { DbOrTx } from '../../db/index.ts';
import { identityProviders, routeAuthSessions, routeAuthUsers } from '../../db/schema/index.ts';
import type { Route } from '../../db/schema/routes.ts';
import type { FieldIssue } from '../../errors.ts';

/**
 * How a route's login works (its columns) and whether its policy asks for one (`authEnabled`: derived from the
 * policy by src/services/routes/access.ts, the GateControl field of the same name).
 */
export type AuthFields = Pick<Route, 'type'> &
  Partial<
    Pick<Route, 'authMethod' | 'authPasswordHash' | 'basicAuthEnabled' | 'authProviderId' | 'authSsoDomain' | 'domain'>
  > & { authEnabled?: boolean };

/**
 * Whether `parent` may carry the single sign-on cookie of a route on `domain`: a strict parent of it (for a
 * `*.` wildcard route, the wildcard's base counts) with at least two labels, so a cookie on a top-level
 * domain (`test`, `com`) is never asked for. Both are normalised already (src/schemas/routes.ts).
 */
export function ssoDomainProblem(parent: string, domain: string | null | undefined): string | null {
  if (parent.split('.').length < 2) return 'must have at least two labels (e.g. example.com), not a top-level domain';
  if (!domain) return 'needs the route domain';
  const base = domain.startsWith('*.') ? domain.slice(2) : domain;
  if (base === parent && domain.startsWith('*.')) return null;
  if (!base.endsWith(`.${parent}`))
    return `must be a parent domain of ${domain} (e.g. ${base.split('.').slice(1).join('.') || base})`;
  return null;
}

/** Route-auth rules that need no database: where auth applies and which combinations make sense. */
export function routeAuthProblems(d: AuthFields): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (d.type === 'l4') {
    // A login in an L4 route's policy is refused with the policy (src/services/routes/access.ts).
    if (d.basicAuthEnabled) issues.push({ field: 'basic_auth_enabled', message: 'basic auth is only for HTTP routes' });
    return issues;
  }
  if (d.basicAuthEnabled && !d.authEnabled) {
    issues.push({
      field: 'basic_auth_enabled',
      message:
        'needs a policy that asks for a login (auth_enabled, or login in the policy): basic auth replaces the login page',
    });
  }
  if (d.authMethod === 'oidc' && d.basicAuthEnabled) {
    issues.push({
      field: 'basic_auth_enabled',
      message: 'basic auth cannot log in through an identity provider; use auth_method password',
    });
  }
  if (d.authProviderId && d.authMethod !== 'oidc') {
    issues.push({ field: 'auth_provider_id', message: 'is only for auth_method oidc' });
  }
  if (d.authSsoDomain) {
    const problem =
      d.authMethod === 'oidc' ? ssoDomainProblem(d.authSsoDomain, d.domain) : 'is only for auth_method oidc';
    if (problem) issues.push({ field: 'auth_sso_domain', message: problem });
  }
  if (d.basicAuthEnabled && d.authMethod === 'password_totp') {
    issues.push({
      field: 'basic_auth_enabled',
      message: 'basic auth cannot ask for a TOTP code; use auth_method password',
    });
  }
  return issues;
}

/**
 * Rules that need the route's users: auth without any credential would lock everybody out, and a TOTP
 * second factor needs per-route users (each has a TOTP secret; the shared password has none).
 */
export async function routeAuthIssues(tx: DbOrTx, d: AuthFields, selfId: number | undefined): Promise<FieldIssue[]> {
  if (d.type !== 'http') return [];
  if (d.authMethod === 'oidc') return providerIssues(tx, d);
  if (!d.authEnabled) return [];
  const users = selfId === undefined ? 0 : await countAuthUsers(tx, selfId);
  if (d.authMethod === 'password_totp' && users === 0) {
    return [
      {
        field: 'auth_method',
        message:
          'password_totp needs at least one user with a TOTP secret (POST /api/v1/routes/{id}/auth-users); the shared password has no second factor',
      },
    ];
  }
  if (!d.authPasswordHash && users === 0) {
    return [
      {
        field: 'auth_enabled',
        message: 'needs a shared password (auth_password) or at least one user (POST /api/v1/routes/{id}/auth-users)',
      },
    ];
  }
  return [];
}

/** auth_method oidc needs a provider that exists and is offered to routes (for_routes). */
async function providerIssues(tx: DbOrTx, d: AuthFields): Promise<FieldIssue[]> {
  if (!d.authProviderId) return [{ field: 'auth_provider_id', message: 'is required for auth_method oidc' }];
  const [row] = await tx
    .select({ forRoutes: identityProviders.forRoutes })
    .from(identityProviders)
    .where(eq(identityProviders.id, d.authProviderId));
  if (!row) return [{ field: 'auth_provider_id', message: `identity provider ${d.authProviderId} does not exist` }];
  if (!row.forRoutes)
    return [
      {
        field: 'auth_provider_id',
        message: `identity provider ${d.authProviderId} is not offered to routes (set its for_routes)`,
      },
    ];
  return [];
}

/**
 * Whether the route's users are how one logs in, so its last user is its last way in: TOTP users, or users
 * without a shared password. A route that logs in through an identity provider does not use them.
 */
export function usersAreTheWayIn(route: Pick<Route, 'authMethod' | 'authPasswordHash'>): boolean {
  return route.authMethod === 'password_totp' || (route.authMethod === 'password' && !route.authPasswordHash);
}

export async function countAuthUsers(tx: DbOrTx, routeId: number): Promise<number> {
  const [row] = await tx.select({ n: count() }).from(routeAuthUsers).where(eq(routeAuthUsers.routeId, routeId));
  return row?.n ?? 0;
}

/** `auth_password` from the API → what to store: undefined keeps the current hash, null removes it. */
export async function hashRoutePassword(password: string | null | undefined): Promise<string | null | undefined> {
  if (password === undefined || password === null) return password;
  return hashPassword(password);
}

/**
 * Logged-in sessions must not outlive the credentials they were made with: a new shared password ends
 * the shared-password sessions; a new method or auth switched off ends all of the route's sessions.
 */
export async function endSessionsOnAuthChange(tx: DbOrTx, routeId: number, before: AuthFields, after: AuthFields) {
  if (
    before.authMethod !== after.authMethod ||
    (before.authEnabled && !after.authEnabled) ||
    (before.authProviderId ?? null) !== (after.authProviderId ?? null) ||
    (before.authSsoDomain ?? null) !== (after.authSsoDomain ?? null)
  ) {
    await tx.delete(routeAuthSessions).where(eq(routeAuthSessions.routeId, routeId));
  } else if (before.authPasswordHash !== after.authPasswordHash) {
    await tx
      .delete(routeAuthSessions)
      .where(and(eq(routeAuthSessions.routeId, routeId), isNull(routeAuthSessions.userId)));
  }
}
