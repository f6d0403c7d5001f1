import { and, count, eq, gt } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { routeAuthSessions } from '../../db/schema/index.ts';
import { routeUsesLogin } from '../routes/access.ts';
import { requireAuthUser, requireHttpRoute, toPublicAuthUser } from './public.ts';
import { countAuthUsers, usersAreTheWayIn } from './rules.ts';

/**
 * What removing a route user cuts, for the confirmation before it: the user, their open sessions (they end at
 * once), and whether they are the route's last way in (then removeAuthUser refuses, and says what to do).
 */
export async function authUserRemovalImpact({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { routeId: number; userId: number };
}) {
  const route = await requireHttpRoute(ctx.db, input.routeId);
  const user = await requireAuthUser(ctx.db, route.id, input.userId);
  const [sessions] = await ctx.db
    .select({ n: count() })
    .from(routeAuthSessions)
    .where(and(eq(routeAuthSessions.userId, user.id), gt(routeAuthSessions.expiresAt, ctx.now())));
  const lastUser = (await countAuthUsers(ctx.db, route.id)) === 1;
  const authEnabled = await routeUsesLogin(ctx.db, route);
  const lastWayIn = authEnabled && lastUser && usersAreTheWayIn(route);
  return {
    user: toPublicAuthUser(user),
    route: { id: route.id, name: route.name, domain: route.domain, auth_enabled: authEnabled },
    open_sessions: sessions?.n ?? 0,
    last_way_in: lastWayIn,
  };
}
export type AuthUserRemovalImpact = Awaited<ReturnType<typeof authUserRemovalImpact>>;
