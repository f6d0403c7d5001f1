import { eq } from 'drizzle-orm';
import { secretBoxFor } from '../../auth/secret-box.ts';
import type { ServiceContext } from '../../context.ts';
import { identityProviders, routes } from '../../db/schema/index.ts';
import { ConflictError, ValidationError } from '../../errors.ts';
import { discover, ProviderError, type ProviderSettings, probeClientSecret } from '../../oidc/client.ts';
import type { CreateIdentityProviderInput, UpdateIdentityProviderInput } from '../../schemas/identity-providers.ts';
import { recordAudit } from '../audit/record.ts';
import { callbackUrl, loadProvider, providerSettings, toPublicProvider } from './public.ts';

/**
 * Saving asks the provider first: its discovery document must name exactly this issuer with HTTPS (or
 * loopback) endpoints, and its token endpoint must accept the client id and secret. What it answered is the
 * error (field `issuer` or `client_secret`), and nothing is saved.
 */
async function verify(settings: ProviderSettings, redirectUri: string): Promise<void> {
  let field = 'issuer';
  try {
    const config = await discover(settings);
    field = 'client_secret';
    await probeClientSecret(config, redirectUri);
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    throw new ValidationError([{ field, message: err.message }]);
  }
}

async function assertNameFree(ctx: ServiceContext, name: string, exceptId?: number) {
  const rows = await ctx.db.select({ id: identityProviders.id, name: identityProviders.name }).from(identityProviders);
  const taken = rows.find((r) => r.name.toLowerCase() === name.toLowerCase() && r.id !== exceptId);
  if (taken) throw new ConflictError(`an identity provider named ${name} already exists`, { field: 'name' });
}

export async function createIdentityProvider({
  ctx,
  input,
  origin,
}: {
  ctx: ServiceContext;
  input: CreateIdentityProviderInput;
  origin: string;
}) {
  await assertNameFree(ctx, input.name);
  // The callback names the provider's id, unknown before the insert: the probe uses the next free one's shape.
  await verify(
    { issuer: input.issuer, clientId: input.client_id, clientSecret: input.client_secret },
    callbackUrl(origin, 0),
  );
  const now = ctx.now();
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(identityProviders)
      .values({
        name: input.name,
        issuer: input.issuer,
        clientId: input.client_id,
        clientSecret: secretBoxFor(ctx.config).seal(input.client_secret),
        scopes: input.scopes,
        emailClaim: input.email_claim,
        groupsClaim: input.groups_claim,
        groupRoles: input.group_roles,
        forDashboard: input.for_dashboard,
        forRoutes: input.for_routes,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    const provider = toPublicProvider(row!, origin);
    await recordAudit({
      ctx,
      tx,
      input: {
        action: 'identity_provider.create',
        resourceType: 'identity_provider',
        resourceId: row!.id,
        after: provider,
      },
    });
    return provider;
  });
}

export async function updateIdentityProvider({
  ctx,
  id,
  input,
  origin,
}: {
  ctx: ServiceContext;
  id: number;
  input: UpdateIdentityProviderInput;
  origin: string;
}) {
  const before = await loadProvider(ctx.db, id);
  if (input.name !== undefined) await assertNameFree(ctx, input.name, id);
  if (input.for_routes === false) await assertNoRoutes(ctx, id, 'for_routes cannot be turned off');
  const stored = providerSettings(ctx.config, before);
  const settings = {
    issuer: input.issuer ?? stored.issuer,
    clientId: input.client_id ?? stored.clientId,
    clientSecret: input.client_secret ?? stored.clientSecret,
  };
  if (input.issuer !== undefined || input.client_id !== undefined || input.client_secret !== undefined)
    await verify(settings, callbackUrl(origin, id));
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .update(identityProviders)
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        issuer: settings.issuer,
        clientId: settings.clientId,
        ...(input.client_secret !== undefined
          ? { clientSecret: secretBoxFor(ctx.config).seal(input.client_secret) }
          : {}),
        ...(input.scopes !== undefined ? { scopes: input.scopes } : {}),
        ...(input.email_claim !== undefined ? { emailClaim: input.email_claim } : {}),
        ...(input.groups_claim !== undefined ? { groupsClaim: input.groups_claim } : {}),
        ...(input.group_roles !== undefined ? { groupRoles: input.group_roles } : {}),
        ...(input.for_dashboard !== undefined ? { forDashboard: input.for_dashboard } : {}),
        ...(input.for_routes !== undefined ? { forRoutes: input.for_routes } : {}),
        updatedAt: ctx.now(),
      })
      .where(eq(identityProviders.id, id))
      .returning();
    const after = toPublicProvider(row!, origin);
    await recordAudit({
      ctx,
      tx,
      input: {
        action: 'identity_provider.update',
        resourceType: 'identity_provider',
        resourceId: id,
        before: toPublicProvider(before, origin),
        after,
      },
    });
    return after;
  });
}

/** Routes log in through a provider by id (routes.auth_provider_id): while any does, it stays. */
async function assertNoRoutes(ctx: ServiceContext, id: number, what: string) {
  const using = await ctx.db
    .select({ id: routes.id, name: routes.name })
    .from(routes)
    .where(eq(routes.authProviderId, id))
    .limit(20);
  if (using.length > 0)
    throw new ConflictError(
      `routes log in through this provider (${using.map((r) => r.name).join(', ')}): ${what}; change their auth_provider_id first`,
      { routes: using.map((r) => r.id) },
    );
}

/** Removing a provider removes its links to admin users (they keep their accounts, with no way in by it). */
export async function removeIdentityProvider({ ctx, id, origin }: { ctx: ServiceContext; id: number; origin: string }) {
  const before = await loadProvider(ctx.db, id);
  await assertNoRoutes(ctx, id, 'it cannot be removed');
  return ctx.db.transaction(async (tx) => {
    await tx.delete(identityProviders).where(eq(identityProviders.id, id));
    const provider = toPublicProvider(before, origin);
    await recordAudit({
      ctx,
      tx,
      input: {
        action: 'identity_provider.remove',
        resourceType: 'identity_provider',
        resourceId: id,
        before: provider,
      },
    });
    return provider;
  });
}

export async function listIdentityProviders({ ctx, origin }: { ctx: ServiceContext; origin: string }) {
  const rows = await ctx.db.select().from(identityProviders).orderBy(identityProviders.name);
  return rows.map((r) => toPublicProvider(r, origin));
}
