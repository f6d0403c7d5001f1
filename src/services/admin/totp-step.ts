import { and, eq, sql } from 'drizzle-orm';
import type { SecretBox } from '../../auth/secret-box.ts';
import { isFreshStep, totpStep } from '../../auth/totp.ts';
import type { DbOrTx } from '../../db/index.ts';
import { type AdminUser, adminUsers } from '../../db/schema/index.ts';
import { consumeRecoveryCode } from './recovery-codes.ts';

/**
 * Checks an admin's TOTP code and consumes its time step: true at most once per step, false for a wrong
 * code and for a code already used (login, enrollment or turning TOTP off alike).
 */
export async function consumeAdminTotp(
  db: DbOrTx,
  user: Pick<AdminUser, 'id' | 'totpSecret' | 'totpLastCounter'>,
  code: string,
  now: Date,
  box: SecretBox,
): Promise<boolean> {
  if (!user.totpSecret) return false;
  const step = totpStep(box.open(user.totpSecret), code, now);
  if (!isFreshStep(step, user.totpLastCounter)) return false;
  // Only one request can consume a given time step: the conditional update is the replay guard.
  const claimed = await db
    .update(adminUsers)
    .set({ totpLastCounter: step })
    .where(and(eq(adminUsers.id, user.id), sql`coalesce(${adminUsers.totpLastCounter}, -1) < ${step}`))
    .returning({ id: adminUsers.id });
  return claimed.length > 0;
}

/**
 * The second factor of an admin login: a current TOTP code (6 digits) or, in its place, one of the admin's unused
 * recovery codes. Says which one was accepted, or null. Only for an admin with TOTP turned on.
 */
export async function consumeAdminSecondFactor(
  db: DbOrTx,
  user: Pick<AdminUser, 'id' | 'totpSecret' | 'totpLastCounter' | 'totpEnabled'>,
  code: string,
  now: Date,
  box: SecretBox,
): Promise<'totp' | 'recovery_code' | null> {
  if (!user.totpEnabled || code.length > 64) return null;
  if (/^\d{6}$/.test(code.replace(/\s/g, '')))
    return (await consumeAdminTotp(db, user, code, now, box)) ? 'totp' : null;
  return (await consumeRecoveryCode(db, user.id, code, now)) ? 'recovery_code' : null;
}
