import { and, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/index.ts';
import { type RouteAuthUser, routeAuthUsers, routes } from '../../db/schema/index.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import type { PublicAuthUser } from '../../schemas/route-auth.ts';

/** The API shape of a route-auth user: never the password hash or the TOTP secret. */
export function toPublicAuthUser(u: RouteAuthUser): PublicAuthUser {
  return {
    id: u.id,
    route_id: u.routeId,
    username: u.username,
    totp_enrolled: u.totpSecret !== null,
    created_at: u.createdAt.toISOString(),
    updated_at: u.updatedAt.toISOString(),
    last_login_at: u.lastLoginAt?.toISOString() ?? null,
  };
}

/** Users belong to HTTP routes only (route auth is an HTTP feature). */
export async function requireHttpRoute(tx: DbOrTx, id: number) {
  const [route] = await tx.select().from(routes).where(eq(routes.id, id));
  if (!route) throw new NotFoundError('route', id);
  if (route.type !== 'http')
    throw new ValidationError([
      { field: 'id', message: `route ${id} is an L4 route; route auth is only for HTTP routes` },
    ]);
  return route;
}

export async function requireAuthUser(tx: DbOrTx, routeId: number, userId: number) {
  const [user] = await tx
    .select()
    .from(routeAuthUsers)
    .where(and(eq(routeAuthUsers.routeId, routeId), eq(routeAuthUsers.id, userId)));
  if (!user) throw new NotFoundError(`user of route ${routeId}`, userId);
  return user;
}
