import { and, eq, lt } from 'drizzle-orm';
import { type AdminRole, roleAtLeast } from '../../auth/roles.ts';
import { randomSecret } from '../../auth/secrets.ts';
import type { ServiceContext } from '../../context.ts';
import type { DbOrTx } from '../../db/index.ts';
import {
  type AdminUser,
  adminIdentities,
  adminSessions,
  adminUsers,
  type IdentityProvider,
} from '../../db/schema/index.ts';
import { AppError, ForbiddenError, NotFoundError } from '../../errors.ts';
import { authorizationRequest, codeGrant, type Identity, type PendingLogin, ProviderError } from '../../oidc/client.ts';
import { recordAudit } from '../audit/record.ts';
import { auditLoginFailure, startAdminSession } from '../sessions/start.ts';
import { usernameIs } from '../users/by-name.ts';
import { noteFailure, providerConfig } from './configs.ts';
import { callbackUrl, loadProvider } from './public.ts';

/** The provider could not be asked (down, timeout): the login page says so; sessions are ours and go on. */
export class ProviderUnreachableError extends AppError {
  constructor(provider: string, detail: string) {
    super('unavailable', `${provider} is not reachable right now (${detail})`);
  }
}

async function dashboardProvider(ctx: ServiceContext, id: number): Promise<IdentityProvider> {
  const row = await loadProvider(ctx.db, id);
  if (!row.forDashboard) throw new NotFoundError('identity provider', id);
  return row;
}

function providerFailure(ctx: ServiceContext, row: IdentityProvider, err: unknown): never {
  if (err instanceof ProviderError) {
    noteFailure(row.id, err, ctx.now().getTime());
    if (err.kind === 'unreachable') throw new ProviderUnreachableError(row.name, err.message);
    throw new AppError('unauthorized', `${row.name} refused the login: ${err.message}`);
  }
  throw err;
}

/** The authorization request: where to send the browser, and what it must bring back (sealed by the caller). */
export async function beginOidcLogin({
  ctx,
  providerId,
  origin,
}: {
  ctx: ServiceContext;
  providerId: number;
  origin: string;
}) {
  const row = await dashboardProvider(ctx, providerId);
  try {
    const config = await providerConfig(ctx.config, row, ctx.now().getTime());
    return await authorizationRequest(config, { redirectUri: callbackUrl(origin, row.id), scopes: row.scopes });
  } catch (err) {
    providerFailure(ctx, row, err);
  }
}

/** The highest role among the user's groups' mappings; null when none maps. */
export function mappedRole(row: IdentityProvider, groups: string[]): AdminRole | null {
  let best: AdminRole | null = null;
  for (const { group, role } of row.groupRoles)
    if (groups.includes(group) && (best === null || roleAtLeast(role, best))) best = role;
  return best;
}

/**
 * A user name as src/schemas/users.ts allows (a-z 0-9 ._@-, starting with a letter or digit) from the e-mail's
 * local part (else the name, else `sso`), made unique with a number.
 */
async function freeUsername(tx: DbOrTx, identity: Identity): Promise<string> {
  const base =
    (identity.email?.split('@')[0] ?? identity.name ?? 'sso')
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .replace(/[^a-z0-9._@-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '')
      .slice(0, 56) || 'sso';
  for (let n = 1; n <= 50; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    const [taken] = await tx.select({ id: adminUsers.id }).from(adminUsers).where(usernameIs(candidate));
    if (!taken) return candidate;
  }
  return `${base.slice(0, 40)}-${randomSecret(6)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')}`;
}

/**
 * The callback: the code grant (state, nonce, PKCE, ID token checked by src/oidc/client.ts), then the claims
 * decide the role at every login. The first login of a mapped account creates its admin user (no password: it
 * comes in by this provider only); an unmapped account is refused and nothing is created.
 */
export async function finishOidcLogin({
  ctx,
  providerId,
  origin,
  callback,
  pending,
  userAgent,
}: {
  ctx: ServiceContext;
  providerId: number;
  origin: string;
  callback: URL;
  pending: PendingLogin;
  userAgent?: string | undefined;
}) {
  const row = await dashboardProvider(ctx, providerId);
  let identity: Identity;
  try {
    const config = await providerConfig(ctx.config, row, ctx.now().getTime());
    const redirect = new URL(callbackUrl(origin, row.id));
    // openid-client compares the response with the registered redirect URI: use ours, with the query it got.
    redirect.search = callback.search;
    identity = await codeGrant(config, redirect, pending, { email: row.emailClaim, groups: row.groupsClaim });
  } catch (err) {
    providerFailure(ctx, row, err);
  }
  const role = mappedRole(row, identity.groups);
  const refuse = async (reason: string, message: string): Promise<never> => {
    await auditLoginFailure(ctx, {
      resourceType: 'identity_provider',
      resourceId: row.id,
      actorUser: (identity.email ?? identity.subject).slice(0, 64),
      after: { reason, subject: identity.subject, email: identity.email, groups: identity.groups.slice(0, 50) },
    });
    throw new ForbiddenError(message);
  };
  if (role === null)
    return refuse(
      'no_role',
      `${identity.email ?? identity.subject} is not in a group that has a role here. Ask an owner to map one of your groups (${identity.groups.slice(0, 10).join(', ') || 'none'}) to a role.`,
    );

  const now = ctx.now();
  const result = await ctx.db.transaction(async (tx) => {
    const [link] = await tx
      .select({ user: adminUsers })
      .from(adminIdentities)
      .innerJoin(adminUsers, eq(adminUsers.id, adminIdentities.userId))
      .where(and(eq(adminIdentities.providerId, row.id), eq(adminIdentities.subject, identity.subject)));
    let user: AdminUser;
    if (link) {
      if (link.user.disabledAt) return { disabled: true as const };
      const [updated] = await tx
        .update(adminUsers)
        .set({ role, ...(identity.email ? { email: identity.email } : {}) })
        .where(eq(adminUsers.id, link.user.id))
        .returning();
      user = updated!;
      await tx
        .update(adminIdentities)
        .set({ lastLoginAt: now })
        .where(and(eq(adminIdentities.providerId, row.id), eq(adminIdentities.subject, identity.subject)));
      if (link.user.role !== role)
        await recordAudit({
          ctx: { ...ctx, actor: { kind: 'system' } },
          tx,
          input: {
            action: 'user.update',
            resourceType: 'admin_user',
            resourceId: user.id,
            actorUser: user.username,
            before: { role: link.user.role },
            after: { role, via: `identity provider ${row.name}` },
          },
        });
    } else {
      const [created] = await tx
        .insert(adminUsers)
        .values({
          username: await freeUsername(tx, identity),
          passwordHash: '',
          role,
          email: identity.email,
          createdAt: now,
        })
        .returning();
      user = created!;
      await tx
        .insert(adminIdentities)
        .values({ providerId: row.id, subject: identity.subject, userId: user.id, createdAt: now, lastLoginAt: now });
      await recordAudit({
        ctx: { ...ctx, actor: { kind: 'system' } },
        tx,
        input: {
          action: 'user.create',
          resourceType: 'admin_user',
          resourceId: user.id,
          actorUser: user.username,
          after: { username: user.username, role, email: identity.email, via: `identity provider ${row.name}` },
        },
      });
    }
    // The same session as a password login (src/services/sessions/start.ts); the provider did the factors.
    await tx.delete(adminSessions).where(lt(adminSessions.expiresAt, now));
    const session = await startAdminSession({
      ctx,
      tx,
      user,
      userAgent,
      after: { via: `identity provider ${row.name}` },
    });
    return { disabled: false as const, user, token: session.token };
  });
  if (result.disabled) return refuse('disabled', 'Your Gatehouse account is disabled. Ask an owner to enable it.');
  return { token: result.token, user: { id: result.user.id, username: result.user.username, role: result.user.role } };
}
