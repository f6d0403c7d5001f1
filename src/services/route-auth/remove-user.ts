import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { routeAuthUsers } from '../../db/schema/index.ts';
import { ConflictError } from '../../errors.ts';
import { recordAudit } from '../audit/record.ts';
import { routeUsesLogin } from '../routes/access.ts';
import { requireAuthUser, requireHttpRoute, toPublicAuthUser } from './public.ts';
import { countAuthUsers, usersAreTheWayIn } from './rules.ts';

/** Deletes a user (their sessions go with them); refuses to leave a route with auth and no way in. */
export async function removeAuthUser({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { routeId: number; userId: number };
}) {
  return ctx.db.transaction(async (tx) => {
    const route = await requireHttpRoute(tx, input.routeId);
    const user = await requireAuthUser(tx, input.routeId, input.userId);
    const last = (await countAuthUsers(tx, route.id)) === 1;
    if ((await routeUsesLogin(tx, route)) && last && usersAreTheWayIn(route)) {
      throw new ConflictError(
        `user ${user.username} is the last way into route ${route.id}; set auth_password (method password) or disable auth first`,
        { route_id: route.id },
      );
    }
    await tx.delete(routeAuthUsers).where(eq(routeAuthUsers.id, user.id));
    await recordAudit({
      ctx,
      tx,
      input: {
        action: 'route_auth.user_delete',
        resourceType: 'route',
        resourceId: route.id,
        before: toPublicAuthUser(user),
      },
    });
    return { deleted: true };
  });
}
