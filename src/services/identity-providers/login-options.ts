import { eq } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { identityProviders, settings } from '../../db/schema/index.ts';
import { recentFailure } from './configs.ts';

export interface LoginOptions {
  providers: { id: number; name: string; down: string | null }[];
  ssoOnly: boolean;
}

/** What the login page offers: the dashboard's providers (and which did not answer lately), SSO-only or not. */
export async function loginOptions(db: Db, now: Date): Promise<LoginOptions> {
  const rows = await db
    .select({ id: identityProviders.id, name: identityProviders.name })
    .from(identityProviders)
    .where(eq(identityProviders.forDashboard, true))
    .orderBy(identityProviders.name);
  const [sso] = await db.select().from(settings).where(eq(settings.key, 'sso_only'));
  return {
    providers: rows.map((r) => ({ ...r, down: recentFailure(r.id, now.getTime()) })),
    ssoOnly: sso?.value === true,
  };
}
