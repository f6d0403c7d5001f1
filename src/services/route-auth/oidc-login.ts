import { and, eq, lt } from 'drizzle-orm';
import { LOGIN_PREFIX, safeReturnPath } from '../../auth/route-cookies.ts';
import { randomSecret, sha256Hex } from '../../auth/secrets.ts';
import type { ServiceContext } from '../../context.ts';
import { type IdentityProvider, identityProviders, routeOidcLogins } from '../../db/schema/index.ts';
import { authorizationRequest, codeGrant, type Identity, ProviderError } from '../../oidc/client.ts';
import { noteFailure, providerConfig } from '../identity-providers/configs.ts';
import { type AuthRoute, recordAuthFailure, startSession } from './sessions.ts';

/** How long the browser has between the login page and the provider's callback. */
export const ROUTE_OIDC_PENDING_MS = 10 * 60 * 1000;
export const ROUTE_OIDC_CALLBACK_PATH = `${LOGIN_PREFIX}/oidc/callback`;

/**
 * The redirect URI of a route login: on the host the browser is on (the route's domain, with the port it used),
 * so each route domain has its own, and a response for one route cannot be spent on another. Caddy serves
 * route domains over HTTPS only.
 */
export function routeCallbackUrl(host: string): string {
  return `https://${host}${ROUTE_OIDC_CALLBACK_PATH}`;
}

/** A provider the route may log in through: the route's own, and still offered to routes. */
async function routeProvider(ctx: ServiceContext, route: AuthRoute): Promise<IdentityProvider | null> {
  if (route.authMethod !== 'oidc' || !route.authProviderId) return null;
  const [row] = await ctx.db
    .select()
    .from(identityProviders)
    .where(and(eq(identityProviders.id, route.authProviderId), eq(identityProviders.forRoutes, true)));
  return row ?? null;
}

export type BeginOutcome =
  | { status: 'redirect'; url: URL; token: string }
  | { status: 'unavailable'; provider: string; message: string }
  | { status: 'misconfigured' };

/**
 * The authorization request (PKCE S256, state, nonce: src/oidc/client.ts). What the callback must match is
 * stored under the SHA-256 of a random token the browser keeps in a cookie; the return path is made relative
 * here (safeReturnPath), so the callback can only ever send the browser to a path on this host.
 */
export async function beginRouteOidcLogin(input: {
  ctx: ServiceContext;
  route: AuthRoute;
  host: string;
  returnTo: string | undefined;
}): Promise<BeginOutcome> {
  const { ctx, route } = input;
  const row = await routeProvider(ctx, route);
  if (!row) return { status: 'misconfigured' };
  const now = ctx.now();
  let request: Awaited<ReturnType<typeof authorizationRequest>>;
  try {
    const config = await providerConfig(ctx.config, row, now.getTime());
    request = await authorizationRequest(config, { redirectUri: routeCallbackUrl(input.host), scopes: row.scopes });
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    noteFailure(row.id, err, now.getTime());
    return { status: 'unavailable', provider: row.name, message: err.message };
  }
  const token = randomSecret(32);
  await ctx.db.transaction(async (tx) => {
    await tx.delete(routeOidcLogins).where(lt(routeOidcLogins.expiresAt, now));
    await tx.insert(routeOidcLogins).values({
      id: sha256Hex(token),
      routeId: route.id,
      providerId: row.id,
      host: input.host.slice(0, 300),
      ...request.pending,
      returnTo: safeReturnPath(input.returnTo),
      expiresAt: new Date(now.getTime() + ROUTE_OIDC_PENDING_MS),
    });
  });
  return { status: 'redirect', url: request.url, token };
}

export type FinishOutcome =
  | { status: 'ok'; token: string; expiresAt: Date; returnTo: string; ssoDomain: string | null; identity: Identity }
  /** No login of this browser is waiting here: no cookie, used already, expired, another route's or host's. */
  | { status: 'expired' }
  | { status: 'unavailable'; provider: string; message: string }
  | { status: 'refused'; provider: string; message: string };

/**
 * The callback. The waiting login is deleted as it is read (one use, whatever comes next); then the code
 * grant checks state, PKCE and the ID token (issuer, audience, nonce, times) and opens the route session with
 * who logged in. Whether that identity may use the route is the policy's answer at the next request.
 */
export async function finishRouteOidcLogin(input: {
  ctx: ServiceContext;
  route: AuthRoute;
  host: string;
  token: string | undefined;
  search: string;
  userAgent: string | undefined;
}): Promise<FinishOutcome> {
  const { ctx, route } = input;
  const now = ctx.now();
  if (!input.token || input.token.length > 128) return { status: 'expired' };
  const [pending] = await ctx.db
    .delete(routeOidcLogins)
    .where(eq(routeOidcLogins.id, sha256Hex(input.token)))
    .returning();
  if (
    !pending ||
    pending.routeId !== route.id ||
    pending.host !== input.host ||
    pending.providerId !== route.authProviderId ||
    pending.expiresAt.getTime() <= now.getTime()
  )
    return { status: 'expired' };
  const row = await routeProvider(ctx, route);
  if (!row) return { status: 'expired' };
  let identity: Identity;
  try {
    const config = await providerConfig(ctx.config, row, now.getTime());
    // openid-client compares the response with the registered redirect URI: ours, with the query it got.
    const callback = new URL(routeCallbackUrl(pending.host));
    callback.search = input.search.slice(0, 8192);
    identity = await codeGrant(config, callback, pending, { email: row.emailClaim, groups: row.groupsClaim });
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    noteFailure(row.id, err, now.getTime());
    if (err.kind === 'unreachable') return { status: 'unavailable', provider: row.name, message: err.message };
    await recordAuthFailure(ctx, { routeId: route.id, step: 'oidc', reason: err.message.slice(0, 300) });
    return { status: 'refused', provider: row.name, message: err.message };
  }
  const ssoDomain = route.authSsoDomain ?? null;
  const session = await startSession(ctx.db, {
    route,
    userId: null,
    stage: 'active',
    ip: ctx.ip ?? 'unknown',
    userAgent: input.userAgent,
    now,
    identity,
    providerId: row.id,
    ssoDomain,
  });
  return { status: 'ok', ...session, returnTo: pending.returnTo, ssoDomain, identity };
}
