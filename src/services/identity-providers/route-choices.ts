import { asc, eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { identityProviders } from '../../db/schema/index.ts';

/** The providers a route may log in through (`for_routes`), by name: the dashboard's choices for auth_provider_id. */
export async function routeProviderChoices(ctx: ServiceContext): Promise<{ id: number; name: string }[]> {
  return ctx.db
    .select({ id: identityProviders.id, name: identityProviders.name })
    .from(identityProviders)
    .where(eq(identityProviders.forRoutes, true))
    .orderBy(asc(identityProviders.name));
}
