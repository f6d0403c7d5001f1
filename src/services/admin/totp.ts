import { eq } from 'drizzle-orm';
import { verifyPassword } from '../../auth/passwords.ts';
import { secretBoxFor } from '../../auth/secret-box.ts';
import { totpEnrollment } from '../../auth/totp.ts';
import type { ServiceContext } from '../../context.ts';
import { adminUsers } from '../../db/schema/index.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.ts';
import { recordAudit } from '../audit/record.ts';
import { deleteRecoveryCodes, remainingRecoveryCodes, replaceRecoveryCodes } from './recovery-codes.ts';
import { consumeAdminTotp } from './totp-step.ts';

/**
 * TOTP for the admin's own login, in two steps: `startTotpEnrollment` stores a fresh secret (not yet in force)
 * and returns it with its otpauth URI and QR code; `confirmTotpEnrollment` turns it on once the admin proves
 * their app produces the right codes. Until then a login still needs the password only.
 */
function adminId(ctx: ServiceContext): number {
  if (ctx.actor.kind !== 'admin') throw new ForbiddenError('only an admin can manage their own TOTP');
  return ctx.actor.id;
}

export async function totpStatus({ ctx }: { ctx: ServiceContext }) {
  const [user] = await ctx.db
    .select()
    .from(adminUsers)
    .where(eq(adminUsers.id, adminId(ctx)));
  if (!user) throw new NotFoundError('admin user', adminId(ctx));
  return {
    enabled: user.totpEnabled,
    enrolling: !user.totpEnabled && user.totpSecret !== null,
    recovery_codes_remaining: user.totpEnabled ? await remainingRecoveryCodes(ctx.db, user.id) : 0,
  };
}

export async function startTotpEnrollment({ ctx }: { ctx: ServiceContext }) {
  const id = adminId(ctx);
  return ctx.db.transaction(async (tx) => {
    const [user] = await tx.select().from(adminUsers).where(eq(adminUsers.id, id));
    if (!user) throw new NotFoundError('admin user', id);
    if (user.totpEnabled) throw new ConflictError('TOTP is already enabled; disable it first to enroll a new device');
    // A pending secret is reused so reloading the page does not invalidate a code already scanned.
    const box = secretBoxFor(ctx.config);
    const enrollment = await totpEnrollment({
      issuer: 'Gatehouse',
      label: user.username,
      secret: box.openNullable(user.totpSecret),
    });
    if (!user.totpSecret)
      await tx
        .update(adminUsers)
        .set({ totpSecret: box.seal(enrollment.secret) })
        .where(eq(adminUsers.id, id));
    return enrollment;
  });
}

export async function confirmTotpEnrollment({ ctx, input }: { ctx: ServiceContext; input: { code: string } }) {
  const id = adminId(ctx);
  return ctx.db.transaction(async (tx) => {
    const [user] = await tx.select().from(adminUsers).where(eq(adminUsers.id, id));
    if (!user) throw new NotFoundError('admin user', id);
    if (user.totpEnabled) throw new ConflictError('TOTP is already enabled');
    if (!user.totpSecret) throw new ConflictError('start the enrollment first');
    if (!(await consumeAdminTotp(tx, user, input.code, ctx.now(), secretBoxFor(ctx.config)))) {
      throw new ValidationError([
        { field: 'code', message: 'is not the current code of this secret; check the clock of the device' },
      ]);
    }
    await tx.update(adminUsers).set({ totpEnabled: true }).where(eq(adminUsers.id, id));
    // Shown once, now: a lost phone must not lock the admin out (only their hashes are kept).
    const recoveryCodes = await replaceRecoveryCodes(tx, id, ctx.now());
    await recordAudit({
      ctx,
      tx,
      input: {
        action: 'admin.totp_enabled',
        resourceType: 'admin_user',
        resourceId: id,
        after: { recovery_codes: recoveryCodes.length },
      },
    });
    return { enabled: true, recovery_codes: recoveryCodes };
  });
}

/** Turning TOTP off needs a current code, so a hijacked session alone cannot weaken the login. */
export async function disableTotp({ ctx, input }: { ctx: ServiceContext; input: { code: string } }) {
  const id = adminId(ctx);
  return ctx.db.transaction(async (tx) => {
    const [user] = await tx.select().from(adminUsers).where(eq(adminUsers.id, id));
    if (!user) throw new NotFoundError('admin user', id);
    if (!user.totpEnabled || !user.totpSecret) throw new ConflictError('TOTP is not enabled');
    if (!(await consumeAdminTotp(tx, user, input.code, ctx.now(), secretBoxFor(ctx.config)))) {
      throw new ValidationError([{ field: 'code', message: 'is not the current code' }]);
    }
    await tx
      .update(adminUsers)
      .set({ totpEnabled: false, totpSecret: null, totpLastCounter: null })
      .where(eq(adminUsers.id, id));
    await deleteRecoveryCodes(tx, id);
    await recordAudit({
      ctx,
      tx,
      input: { action: 'admin.totp_disabled', resourceType: 'admin_user', resourceId: id },
    });
    return { enabled: false };
  });
}

/**
 * New recovery codes (the old ones stop working), shown once. Needs the password: a session left open must not
 * be enough to mint a way past the second factor. A wrong password is a field error on `password`.
 */
export async function regenerateRecoveryCodes({ ctx, input }: { ctx: ServiceContext; input: { password: string } }) {
  const id = adminId(ctx);
  const [user] = await ctx.db.select().from(adminUsers).where(eq(adminUsers.id, id));
  if (!user) throw new NotFoundError('admin user', id);
  if (!user.totpEnabled) throw new ConflictError('TOTP is not enabled; recovery codes come with it');
  if (input.password.length > 1024 || !(await verifyPassword(user.passwordHash, input.password)))
    throw new ValidationError([{ field: 'password', message: 'is not your current password' }]);
  return ctx.db.transaction(async (tx) => {
    const recoveryCodes = await replaceRecoveryCodes(tx, id, ctx.now());
    await recordAudit({
      ctx,
      tx,
      input: { action: 'admin.recovery_codes_regenerated', resourceType: 'admin_user', resourceId: id },
    });
    return { recovery_codes: recoveryCodes };
  });
}
