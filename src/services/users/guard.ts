import { and, count, eq, isNull, ne } from 'drizzle-orm';
import { type AdminRole, roleAtLeast } from '../../auth/roles.ts';
import { actorUserId, type ServiceContext } from '../../context.ts';
import type { DbOrTx } from '../../db/index.ts';
import { adminUsers } from '../../db/schema/index.ts';
import { ConflictError, ForbiddenError } from '../../errors.ts';

/** The role the caller acts with (the system — CLI, bootstrap — is an owner). */
export function callerRole(ctx: ServiceContext): AdminRole {
  const { actor } = ctx;
  if (actor.kind === 'system') return 'owner';
  if (actor.kind === 'admin' || actor.kind === 'token') return actor.role;
  throw new ForbiddenError();
}

/**
 * Who may change whom: users are for admins and owners; only an owner may touch an owner or make one. The HTTP
 * table (src/http/permissions.ts) already keeps the rest out; this holds for every caller of the verbs.
 */
export function assertMayManage(ctx: ServiceContext, target: { role: AdminRole } | undefined, newRole?: AdminRole) {
  const role = callerRole(ctx);
  if (!roleAtLeast(role, 'admin')) throw new ForbiddenError('managing users needs the admin role');
  if (role === 'owner') return;
  if (target?.role === 'owner') throw new ForbiddenError('only an owner can change an owner');
  if (newRole === 'owner') throw new ForbiddenError('only an owner can make someone an owner');
}

/**
 * Run inside the transaction, after the change: at least one enabled owner with a password must remain, so the
 * change rolls back otherwise (the write queue runs one transaction at a time, so two admins demoting the last
 * two owners at once cannot both pass).
 */
export async function assertOwnerRemains(tx: DbOrTx): Promise<void> {
  const [row] = await tx
    .select({ n: count() })
    .from(adminUsers)
    .where(and(eq(adminUsers.role, 'owner'), isNull(adminUsers.disabledAt), ne(adminUsers.passwordHash, '')));
  if (!row || row.n === 0)
    throw new ConflictError('at least one enabled owner must remain; make someone else an owner first', {
      reason: 'last_owner',
    });
}

/** The caller's own user id (an admin, or a token's creator), to refuse what one must not do to oneself. */
export function callerUserId(ctx: ServiceContext): number | undefined {
  return actorUserId(ctx.actor);
}
