import { eq } from 'drizzle-orm';
import { secretBoxFor } from '../../auth/secret-box.ts';
import type { Config } from '../../config/index.ts';
import type { DbOrTx } from '../../db/index.ts';
import { type IdentityProvider, identityProviders } from '../../db/schema/index.ts';
import { NotFoundError } from '../../errors.ts';
import type { ProviderSettings } from '../../oidc/client.ts';
import type { PublicIdentityProvider } from '../../schemas/identity-providers.ts';

/** The dashboard's callback for a provider; one per provider, so a response cannot be replayed at another. */
export function callbackUrl(origin: string, providerId: number): string {
  return `${origin}/login/oidc/${providerId}/callback`;
}

/** A provider as the API shows it: never the client secret. */
export function toPublicProvider(row: IdentityProvider, origin: string): PublicIdentityProvider {
  return {
    id: row.id,
    name: row.name,
    issuer: row.issuer,
    client_id: row.clientId,
    scopes: row.scopes,
    email_claim: row.emailClaim,
    groups_claim: row.groupsClaim,
    group_roles: row.groupRoles,
    for_dashboard: row.forDashboard,
    for_routes: row.forRoutes,
    callback_url: callbackUrl(origin, row.id),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export async function loadProvider(db: DbOrTx, id: number): Promise<IdentityProvider> {
  const [row] = await db.select().from(identityProviders).where(eq(identityProviders.id, id));
  if (!row) throw new NotFoundError('identity provider', id);
  return row;
}

/** The row's settings with the client secret opened. */
export function providerSettings(config: Config, row: IdentityProvider): ProviderSettings {
  return { issuer: row.issuer, clientId: row.clientId, clientSecret: secretBoxFor(config).open(row.clientSecret) };
}
