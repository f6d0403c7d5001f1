import { and, eq, ne } from 'drizzle-orm';
import { z } from 'zod';
import { hashPassword, verifyPassword } from '../../auth/passwords.ts';
import { sha256Hex } from '../../auth/secrets.ts';
import { ADMIN_PASSWORD_MIN_LENGTH } from '../../config/index.ts';
import type { ServiceContext } from '../../context.ts';
import { adminSessions, adminUsers } from '../../db/schema/index.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { recordAudit } from '../audit/record.ts';

const MAX_PASSWORD_LENGTH = 1024;

/** A new admin password: long enough, bounded, no control characters (they cannot be typed at a login). */
export const NewPasswordSchema = z
  .string()
  .min(ADMIN_PASSWORD_MIN_LENGTH, `must be at least ${ADMIN_PASSWORD_MIN_LENGTH} characters`)
  .max(MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
  .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'must not contain control characters (tabs, line breaks, …)')
  .refine((v) => v.trim() === v, 'must not start or end with a space');

export interface ChangePasswordInput {
  current_password: string;
  new_password: string;
  /** The session making the change (its cookie token): it stays; every other session of the admin ends. */
  keep_session_token?: string | undefined;
}

/** Thrown (as a field error on `current_password`) when the current password is wrong: callers count it as a guess. */
export const WRONG_CURRENT_PASSWORD = 'is not your current password';

export function isWrongCurrentPassword(err: unknown): boolean {
  return err instanceof ValidationError && err.issues.some((i) => i.message === WRONG_CURRENT_PASSWORD);
}

/**
 * The signed-in admin changes their own password: the current one proves it is them (a session alone is not
 * enough), the new one must meet the configured minimum and differ from the current one. Every other session
 * of the admin ends, so whoever else held one is out.
 */
export async function changeAdminPassword({ ctx, input }: { ctx: ServiceContext; input: ChangePasswordInput }) {
  if (ctx.actor.kind !== 'admin') throw new ForbiddenError('only a logged-in admin can change their own password');
  const id = ctx.actor.id;
  const parsed = NewPasswordSchema.safeParse(input.new_password);
  const issues = parsed.success ? [] : parsed.error.issues.map((i) => ({ field: 'new_password', message: i.message }));
  if (!input.current_password) issues.unshift({ field: 'current_password', message: 'is required' });
  if (issues.length) throw new ValidationError(issues);

  const [user] = await ctx.db.select().from(adminUsers).where(eq(adminUsers.id, id));
  if (!user) throw new NotFoundError('admin user', id);
  const currentOk =
    input.current_password.length <= MAX_PASSWORD_LENGTH &&
    (await verifyPassword(user.passwordHash, input.current_password));
  if (!currentOk) throw new ValidationError([{ field: 'current_password', message: WRONG_CURRENT_PASSWORD }]);
  if (input.new_password === input.current_password)
    throw new ValidationError([{ field: 'new_password', message: 'must differ from the current password' }]);

  const passwordHash = await hashPassword(input.new_password);
  return ctx.db.transaction(async (tx) => {
    await tx.update(adminUsers).set({ passwordHash, passwordChangedAt: ctx.now() }).where(eq(adminUsers.id, id));
    const keep = input.keep_session_token ? sha256Hex(input.keep_session_token) : '';
    const ended = await tx
      .delete(adminSessions)
      .where(and(eq(adminSessions.userId, id), ne(adminSessions.id, keep)))
      .returning({ id: adminSessions.id });
    await recordAudit({
      ctx,
      tx,
      input: {
        action: 'admin.password_changed',
        resourceType: 'admin_user',
        resourceId: id,
        after: { other_sessions_ended: ended.length },
      },
    });
    return { other_sessions_ended: ended.length };
  });
}
