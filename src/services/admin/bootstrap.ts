import { eq } from 'drizzle-orm';
import { generatePassword, hashPassword } from '../../auth/passwords.ts';
import type { ServiceContext } from '../../context.ts';
import { adminPasskeys, adminSessions, adminUsers } from '../../db/schema/index.ts';
import { recordAudit } from '../audit/record.ts';
import { usernameIs } from '../users/by-name.ts';
import { deleteRecoveryCodes } from './recovery-codes.ts';

/**
 * On first start there is no admin: create one. The password comes from the configuration or is
 * generated; a generated password is returned so the caller can show it once. Later starts change nothing.
 */
export async function bootstrapAdmin({ ctx }: { ctx: ServiceContext }) {
  return ctx.db.transaction(async (tx) => {
    const existing = await tx.select({ id: adminUsers.id }).from(adminUsers).limit(1);
    if (existing.length > 0) return { created: false as const };
    const generated = ctx.config.admin.password === undefined;
    const password = ctx.config.admin.password ?? generatePassword();
    const [user] = await tx
      .insert(adminUsers)
      .values({ username: ctx.config.admin.user, passwordHash: await hashPassword(password), role: 'owner' })
      .returning({ id: adminUsers.id, username: adminUsers.username });
    await recordAudit({
      ctx,
      tx,
      input: { action: 'admin.bootstrap', resourceType: 'admin_user', resourceId: user!.id, after: user },
    });
    return { created: true as const, username: user!.username, password: generated ? password : undefined };
  });
}

/**
 * `gatehouse admin reset-password`: sets a new password (given or generated) and ends all sessions. With
 * `disableTotp` it also turns TOTP off (secret and recovery codes cleared) for an admin who lost the device and
 * the codes; whoever runs it already holds the data directory, so it proves nothing more.
 */
export async function resetAdminPassword({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: {
    username: string;
    password?: string | undefined;
    disableTotp?: boolean | undefined;
    /** Break-glass for a locked-out team: enable the user again and/or make them an owner. */
    enable?: boolean | undefined;
    makeOwner?: boolean | undefined;
  };
}) {
  const password = input.password ?? generatePassword();
  const passwordHash = await hashPassword(password);
  return ctx.db.transaction(async (tx) => {
    const [user] = await tx
      .update(adminUsers)
      .set({
        passwordHash,
        passwordChangedAt: ctx.now(),
        ...(input.enable ? { disabledAt: null } : {}),
        ...(input.makeOwner ? { role: 'owner' as const } : {}),
      })
      .where(usernameIs(input.username))
      .returning({ id: adminUsers.id });
    if (!user) return { updated: false as const };
    await tx.delete(adminSessions).where(eq(adminSessions.userId, user.id));
    let totpWasOn = false;
    if (input.disableTotp) {
      const [before] = await tx
        .select({ enabled: adminUsers.totpEnabled, secret: adminUsers.totpSecret })
        .from(adminUsers)
        .where(eq(adminUsers.id, user.id));
      totpWasOn = Boolean(before?.enabled || before?.secret);
      await tx
        .update(adminUsers)
        .set({ totpEnabled: false, totpSecret: null, totpLastCounter: null })
        .where(eq(adminUsers.id, user.id));
      await deleteRecoveryCodes(tx, user.id);
      // Passkeys are second factors too: whoever lost the TOTP device may have lost the security key with it.
      await tx.delete(adminPasskeys).where(eq(adminPasskeys.userId, user.id));
    }
    await recordAudit({
      ctx,
      tx,
      input: {
        action: 'admin.reset_password',
        resourceType: 'admin_user',
        resourceId: user.id,
        after: {
          ...(input.disableTotp ? { totp_disabled: true } : {}),
          ...(input.enable ? { enabled: true } : {}),
          ...(input.makeOwner ? { role: 'owner' } : {}),
        },
      },
    });
    if (input.disableTotp)
      await recordAudit({
        ctx,
        tx,
        input: { action: 'admin.totp_disabled', resourceType: 'admin_user', resourceId: user.id, after: { by: 'cli' } },
      });
    return {
      updated: true as const,
      password: input.password ? undefined : password,
      totpDisabled: Boolean(input.disableTotp),
      totpWasOn,
    };
  });
}
