import { and, eq, lt, sql } from 'drizzle-orm';
import { verifyPasswordOrDummy } from '../../auth/passwords.ts';
import type { SecretBox } from '../../auth/secret-box.ts';
import { randomSecret, sha256Hex } from '../../auth/secrets.ts';
import { isFreshStep, totpStep } from '../../auth/totp.ts';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../db/index.ts';
import { qualified } from '../../db/qualified.ts';
import { type RouteAuthUser, routeAuthSessions, routeAuthUsers, routes } from '../../db/schema/index.ts';
import type { RouteSessionIdentity } from '../../db/schema/route-auth-sessions.ts';
import { recordAudit } from '../audit/record.ts';
import { routeUsesLogin } from '../routes/access.ts';

/** A wrong TOTP code this many times ends the challenge: the login starts over with the password. */
export const TOTP_MAX_FAILURES = 5;
/** How long a password-passed login waits for its TOTP code. */
export const TOTP_CHALLENGE_MS = 5 * 60 * 1000;

export type AuthRoute = Pick<
  typeof routes.$inferSelect,
  | 'id'
  | 'name'
  | 'domain'
  | 'authMethod'
  | 'authPasswordHash'
  | 'basicAuthEnabled'
  | 'authSessionHours'
  | 'authProviderId'
  | 'authSsoDomain'
>;

/** The route a forwarded request is for: an enabled HTTP route with auth. Null means refuse. */
export async function findAuthRoute(db: Db, id: number): Promise<(AuthRoute & { hasUsers: boolean }) | null> {
  if (!Number.isSafeInteger(id) || id <= 0) return null;
  const [row] = await db
    .select({
      id: routes.id,
      name: routes.name,
      domain: routes.domain,
      type: routes.type,
      enabled: routes.enabled,
      policyId: routes.policyId,
      policy: routes.policy,
      authMethod: routes.authMethod,
      authPasswordHash: routes.authPasswordHash,
      basicAuthEnabled: routes.basicAuthEnabled,
      authSessionHours: routes.authSessionHours,
      authProviderId: routes.authProviderId,
      authSsoDomain: routes.authSsoDomain,
      hasUsers: sql<number>`exists(select 1 from ${routeAuthUsers} where ${qualified(routeAuthUsers.routeId)} = ${qualified(routes.id)})`,
    })
    .from(routes)
    .where(eq(routes.id, id));
  // The policy decides whether the route has a login at all (a policy without one: nothing to verify).
  if (row?.type !== 'http' || !row.enabled || !(await routeUsesLogin(db, row))) return null;
  const { policyId: _p, policy: _q, ...route } = row;
  return { ...route, hasUsers: Boolean(row.hasUsers) };
}

/**
 * Username (empty: the shared password) + password → who logged in, or null. Unknown names cost the same
 * argon2 work as known ones, so timing does not tell which names exist. In password_totp mode only users
 * (who have a second factor) may log in.
 */
export async function checkPassword(
  db: Db,
  route: AuthRoute,
  username: string,
  password: string,
  opts: { sharedFallback?: boolean } = {},
) {
  // A route that logs in through an identity provider takes no password (its users and shared password wait unused).
  if (route.authMethod === 'oidc') {
    await verifyPasswordOrDummy(undefined, password);
    return null;
  }
  let target: { hash: string; user: RouteAuthUser | null } | undefined;
  if (username) {
    const [user] = await db
      .select()
      .from(routeAuthUsers)
      .where(and(eq(routeAuthUsers.routeId, route.id), eq(routeAuthUsers.username, username)));
    if (user) target = { hash: user.passwordHash, user };
  }
  // Basic auth always sends a name; for the shared password it may be anything.
  if (!target && (!username || opts.sharedFallback) && route.authPasswordHash && route.authMethod === 'password') {
    target = { hash: route.authPasswordHash, user: null };
  }
  return (await verifyPasswordOrDummy(target?.hash, password)) && target ? { user: target.user } : null;
}

/**
 * The account a login attempt can open, for the throttle: the route user it names, or '' (the shared
 * password, which basic auth accepts under any name that is not a user's). Made-up names thus count together.
 */
export async function attemptedAccount(db: Db, route: AuthRoute, username: string): Promise<string> {
  if (!username) return '';
  const [user] = await db
    .select({ username: routeAuthUsers.username })
    .from(routeAuthUsers)
    .where(and(eq(routeAuthUsers.routeId, route.id), eq(routeAuthUsers.username, username)));
  return user?.username ?? '';
}

/** A new session (or TOTP challenge); returns the cookie token. Only its SHA-256 is stored. */
export async function startSession(
  db: Db,
  input: {
    route: AuthRoute;
    userId: number | null;
    stage: 'totp' | 'active';
    ip: string;
    userAgent: string | undefined;
    now: Date;
    /** An identity-provider login: who, through which provider, and the SSO parent domain when its cookie is that. */
    identity?: RouteSessionIdentity;
    providerId?: number;
    ssoDomain?: string | null;
  },
) {
  const token = randomSecret(32);
  const ttl = input.stage === 'totp' ? TOTP_CHALLENGE_MS : input.route.authSessionHours * 3_600_000;
  const expiresAt = new Date(input.now.getTime() + ttl);
  await db.transaction(async (tx) => {
    await tx.delete(routeAuthSessions).where(lt(routeAuthSessions.expiresAt, input.now));
    await tx.insert(routeAuthSessions).values({
      id: sha256Hex(token),
      routeId: input.route.id,
      userId: input.userId,
      stage: input.stage,
      createdAt: input.now,
      expiresAt,
      ip: input.ip,
      userAgent: input.userAgent?.slice(0, 512) ?? null,
      identity: input.identity ?? null,
      providerId: input.providerId ?? null,
      ssoDomain: input.ssoDomain ?? null,
    });
    if (input.userId !== null && input.stage === 'active') {
      await tx.update(routeAuthUsers).set({ lastLoginAt: input.now }).where(eq(routeAuthUsers.id, input.userId));
    }
  });
  return { token, expiresAt };
}

/**
 * Cookie token → its session on this route, or null (unknown, tampered, expired, another route's). `routeId`
 * null: on any route (the single sign-on cookie; readRouteSession checks what it was made for).
 */
export async function readSession(db: Db, token: string | undefined, routeId: number | null, now: Date) {
  if (!token || token.length > 128) return null;
  const [row] = await db
    .select({
      session: routeAuthSessions,
      username: routeAuthUsers.username,
      totpSecret: routeAuthUsers.totpSecret,
      totpLastCounter: routeAuthUsers.totpLastCounter,
    })
    .from(routeAuthSessions)
    .leftJoin(routeAuthUsers, eq(routeAuthUsers.id, routeAuthSessions.userId))
    .where(eq(routeAuthSessions.id, sha256Hex(token)));
  if (!row || (routeId !== null && row.session.routeId !== routeId)) return null;
  if (row.session.expiresAt.getTime() <= now.getTime()) {
    await db.delete(routeAuthSessions).where(eq(routeAuthSessions.id, row.session.id));
    return null;
  }
  return row;
}

/**
 * The session a request to this route carries: the route's own host cookie, else (auth_method oidc with
 * auth_sso_domain) the single sign-on cookie, accepted only when it was made for the same parent domain through
 * the same provider. Which identity may in is still this route's policy (src/route-auth/identity-check.ts).
 */
export async function readRouteSession(
  db: Db,
  route: AuthRoute,
  cookies: { host: string | undefined; sso: string | undefined },
  now: Date,
) {
  const own = await readSession(db, cookies.host, route.id, now);
  if (own) return own;
  if (route.authMethod !== 'oidc' || !route.authSsoDomain || !route.authProviderId || !cookies.sso) return null;
  const row = await readSession(db, cookies.sso, null, now);
  const s = row?.session;
  if (s?.stage !== 'active' || s.ssoDomain !== route.authSsoDomain || s.providerId !== route.authProviderId)
    return null;
  return row;
}

export type TotpOutcome =
  | { status: 'ok'; token: string; expiresAt: Date }
  | { status: 'wrong'; remaining: number; username: string | null }
  | { status: 'dead'; username: string | null }
  | { status: 'missing' };

/**
 * The second step: a code for a `totp` challenge. Right → the challenge is replaced by a new active session
 * (a new token: nothing seen before the second factor stays valid). Wrong → counted; the fifth wrong code
 * deletes the challenge.
 */
export async function answerTotp(
  db: Db,
  input: { route: AuthRoute; token: string; code: string; ip: string; userAgent: string | undefined; now: Date },
  box: SecretBox,
): Promise<TotpOutcome> {
  const found = await readSession(db, input.token, input.route.id, input.now);
  if (found?.session.stage !== 'totp' || !found.session.userId) return { status: 'missing' };
  const username = found.username;
  const counter = found.totpSecret ? totpStep(box.open(found.totpSecret), input.code, input.now) : null;
  if (!isFreshStep(counter, found.totpLastCounter)) {
    const [row] = await db
      .update(routeAuthSessions)
      .set({ totpFailures: sql`${routeAuthSessions.totpFailures} + 1` })
      .where(eq(routeAuthSessions.id, found.session.id))
      .returning({ failures: routeAuthSessions.totpFailures });
    const failures = row?.failures ?? TOTP_MAX_FAILURES;
    if (failures >= TOTP_MAX_FAILURES) {
      await db.delete(routeAuthSessions).where(eq(routeAuthSessions.id, found.session.id));
      return { status: 'dead', username };
    }
    return { status: 'wrong', remaining: TOTP_MAX_FAILURES - failures, username };
  }
  const userId = found.session.userId;
  // Only one request can consume a given time step: the conditional update is the replay guard.
  const claimed = await db
    .update(routeAuthUsers)
    .set({ totpLastCounter: counter })
    .where(and(eq(routeAuthUsers.id, userId), sql`coalesce(${routeAuthUsers.totpLastCounter}, -1) < ${counter}`))
    .returning({ id: routeAuthUsers.id });
  if (claimed.length === 0)
    return { status: 'wrong', remaining: TOTP_MAX_FAILURES - found.session.totpFailures, username };
  await db.delete(routeAuthSessions).where(eq(routeAuthSessions.id, found.session.id));
  const next = await startSession(db, { ...input, userId, stage: 'active' });
  return { status: 'ok', ...next };
}

export async function endSession(db: Db, token: string | undefined): Promise<void> {
  if (token) await db.delete(routeAuthSessions).where(eq(routeAuthSessions.id, sha256Hex(token)));
}

/** Every failed attempt goes to the audit log (`route_auth.failed`), with the client IP. */
export async function recordAuthFailure(
  ctx: ServiceContext,
  input: {
    routeId: number;
    step: 'password' | 'totp' | 'basic' | 'throttled' | 'oidc';
    reason: string;
    username?: string | undefined;
  },
) {
  await ctx.db.transaction((tx) =>
    recordAudit({
      ctx,
      tx,
      input: {
        action: 'route_auth.failed',
        resourceType: 'route',
        resourceId: input.routeId,
        after: {
          step: input.step,
          reason: input.reason,
          ...(input.username ? { username: input.username.slice(0, 64) } : {}),
        },
      },
    }),
  );
}
