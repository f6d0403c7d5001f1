import { asc, count } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { adminPasskeys, adminUsers } from '../../db/schema/index.ts';
import { loadUser, passkeyCount, toPublicUser } from './public.ts';

/** Every admin user, oldest first, with how many passkeys each has. */
export async function listUsers({ ctx }: { ctx: ServiceContext }) {
  const users = await ctx.db.select().from(adminUsers).orderBy(asc(adminUsers.id));
  const keys = await ctx.db
    .select({ userId: adminPasskeys.userId, n: count() })
    .from(adminPasskeys)
    .groupBy(adminPasskeys.userId);
  const byUser = new Map(keys.map((k) => [k.userId, k.n]));
  return users.map((u) => toPublicUser(u, byUser.get(u.id) ?? 0));
}

/** One admin user, or 404. */
export async function getUser({ ctx, input }: { ctx: ServiceContext; input: { id: number } }) {
  const user = await loadUser(ctx.db, input.id);
  return toPublicUser(user, await passkeyCount(ctx.db, user.id));
}
