import { count, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/index.ts';
import { type AdminUser, adminPasskeys, adminUsers } from '../../db/schema/index.ts';
import { NotFoundError } from '../../errors.ts';
import type { PublicUser } from '../../schemas/users.ts';

/** A user as the API shows them: never a password hash or a TOTP secret. */
export function toPublicUser(user: AdminUser, passkeys: number): PublicUser {
  return {
    id: user.id,
    username: user.username,
    role: user.role,
    email: user.email ?? null,
    status: user.disabledAt ? 'disabled' : user.passwordHash === '' ? 'invited' : 'active',
    totp_enabled: user.totpEnabled,
    passkeys,
    created_at: user.createdAt.toISOString(),
    disabled_at: user.disabledAt ? user.disabledAt.toISOString() : null,
  };
}

export async function loadUser(db: DbOrTx, id: number): Promise<AdminUser> {
  const [user] = await db.select().from(adminUsers).where(eq(adminUsers.id, id));
  if (!user) throw new NotFoundError('user', id);
  return user;
}

export async function passkeyCount(db: DbOrTx, userId: number): Promise<number> {
  const [row] = await db.select({ n: count() }).from(adminPasskeys).where(eq(adminPasskeys.userId, userId));
  return row?.n ?? 0;
}
