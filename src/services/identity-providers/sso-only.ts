import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import type { AdminUser } from '../../db/schema/index.ts';
import { settings } from '../../db/schema/index.ts';

/**
 * SSO-only mode (the `sso_only` setting): a password opens no session, except the break-glass owner's
 * (GATEHOUSE_BREAK_GLASS_OWNER names them; they must be an enabled owner). Passkeys are not passwords and stay.
 * With the provider gone: set GATEHOUSE_BREAK_GLASS_OWNER to an owner's name (`gatehouse admin reset-password <name>
 * --owner --enable` makes one), restart, log in with that password and turn `sso_only` off.
 */
export async function passwordLoginRefused(ctx: ServiceContext, user: AdminUser | undefined): Promise<boolean> {
  const [row] = await ctx.db.select().from(settings).where(eq(settings.key, 'sso_only'));
  if (row?.value !== true) return false;
  const breakGlass = ctx.config.admin.breakGlassOwner?.toLowerCase();
  return !(user && breakGlass && user.username.toLowerCase() === breakGlass && user.role === 'owner');
}
