import { and, desc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import { randomSecret, sha256Hex } from '../../auth/secrets.ts';
import { actorUserId, type ServiceContext } from '../../context.ts';
import { type RouteShareLink, routeAuthSessions, routeShareLinks, routes } from '../../db/schema/index.ts';
import { ConflictError, NotFoundError } from '../../errors.ts';
import type { CreateShareLinkInput, PublicShareLink } from '../../schemas/share-links.ts';
import { recordAudit } from '../audit/record.ts';
import { routeUsesLogin } from '../routes/access.ts';
import type { AuthRoute } from './sessions.ts';

export const SHARE_PATH = '/.gatehouse/share/';
const TOKEN_PREFIX = 'ghs_';

function status(link: RouteShareLink, now: Date): PublicShareLink['status'] {
  if (link.revokedAt) return 'revoked';
  if (link.expiresAt.getTime() <= now.getTime()) return 'expired';
  if (link.maxUses !== null && link.uses >= link.maxUses) return 'used_up';
  return 'active';
}

export function toPublicShareLink(link: RouteShareLink, now: Date): PublicShareLink {
  return {
    id: link.id,
    route_id: link.routeId,
    name: link.name,
    prefix: link.prefix,
    expires_at: link.expiresAt.toISOString(),
    max_uses: link.maxUses,
    uses: link.uses,
    status: status(link, now),
    created_at: link.createdAt.toISOString(),
    revoked_at: link.revokedAt ? link.revokedAt.toISOString() : null,
  };
}

async function httpRouteWithLogin(ctx: ServiceContext, routeId: number) {
  const [route] = await ctx.db
    .select({
      id: routes.id,
      type: routes.type,
      domain: routes.domain,
      policyId: routes.policyId,
      policy: routes.policy,
    })
    .from(routes)
    .where(eq(routes.id, routeId));
  if (!route) throw new NotFoundError('route', routeId);
  if (route.type !== 'http' || !route.domain || !(await routeUsesLogin(ctx.db, route)))
    throw new ConflictError(
      'a share link needs an HTTP route with a login (its policy asks for none); this route has none',
      {
        field: 'route',
      },
    );
  return route as typeof route & { domain: string };
}

/** A new link; the token is in this answer only (its hash is stored). */
export async function createShareLink({
  ctx,
  routeId,
  input,
}: {
  ctx: ServiceContext;
  routeId: number;
  input: CreateShareLinkInput;
}) {
  const route = await httpRouteWithLogin(ctx, routeId);
  const token = TOKEN_PREFIX + randomSecret(32);
  const now = ctx.now();
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(routeShareLinks)
      .values({
        routeId,
        name: input.name,
        tokenHash: sha256Hex(token),
        prefix: token.slice(0, TOKEN_PREFIX.length + 6),
        expiresAt: new Date(now.getTime() + input.expires_in_hours * 3_600_000),
        maxUses: input.max_uses,
        createdAt: now,
        createdBy: actorUserId(ctx.actor) ?? null,
      })
      .returning();
    const link = toPublicShareLink(row!, now);
    await recordAudit({
      ctx,
      tx,
      input: { action: 'share_link.create', resourceType: 'route', resourceId: routeId, after: link },
    });
    return { ...link, url: `https://${route.domain.replace(/^\*\./, 'www.')}${SHARE_PATH}${token}` };
  });
}

export async function listShareLinks({ ctx, routeId }: { ctx: ServiceContext; routeId: number }) {
  const rows = await ctx.db
    .select()
    .from(routeShareLinks)
    .where(eq(routeShareLinks.routeId, routeId))
    .orderBy(desc(routeShareLinks.id));
  return rows.map((r) => toPublicShareLink(r, ctx.now()));
}

/** Revoking ends the sessions the link opened. */
export async function revokeShareLink({
  ctx,
  routeId,
  linkId,
}: {
  ctx: ServiceContext;
  routeId: number;
  linkId: number;
}) {
  return ctx.db.transaction(async (tx) => {
    const [before] = await tx
      .select()
      .from(routeShareLinks)
      .where(and(eq(routeShareLinks.id, linkId), eq(routeShareLinks.routeId, routeId)));
    if (!before) throw new NotFoundError('share link', linkId);
    const [row] = await tx
      .update(routeShareLinks)
      .set({ revokedAt: before.revokedAt ?? ctx.now() })
      .where(eq(routeShareLinks.id, linkId))
      .returning();
    await tx.delete(routeAuthSessions).where(eq(routeAuthSessions.shareLinkId, linkId));
    const link = toPublicShareLink(row!, ctx.now());
    await recordAudit({
      ctx,
      tx,
      input: {
        action: 'share_link.revoke',
        resourceType: 'route',
        resourceId: routeId,
        before: toPublicShareLink(before, ctx.now()),
        after: link,
      },
    });
    return link;
  });
}

/** The link's name when the token is a live link of this route (for its page), else null. Spends nothing. */
export async function peekShareLink(ctx: ServiceContext, routeId: number, token: string): Promise<string | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 100) return null;
  const [row] = await ctx.db
    .select()
    .from(routeShareLinks)
    .where(and(eq(routeShareLinks.tokenHash, sha256Hex(token)), eq(routeShareLinks.routeId, routeId)));
  return row && status(row, ctx.now()) === 'active' ? row.name : null;
}

/**
 * Spends one use and opens a route session (no user: the link is the identity, audit-logged), in one
 * transaction, so a link with one use left opens one session however many browsers race for it. The session
 * ends with the route's session hours or the link's expiry, whichever is first. Null: no live link.
 */
export async function openShareLink({
  ctx,
  route,
  token,
  userAgent,
}: {
  ctx: ServiceContext;
  route: AuthRoute;
  token: string;
  userAgent: string | undefined;
}): Promise<{ token: string; expiresAt: Date } | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 100) return null;
  const now = ctx.now();
  return ctx.db.transaction(async (tx) => {
    const [link] = await tx
      .update(routeShareLinks)
      .set({ uses: sql`${routeShareLinks.uses} + 1` })
      .where(
        and(
          eq(routeShareLinks.tokenHash, sha256Hex(token)),
          eq(routeShareLinks.routeId, route.id),
          isNull(routeShareLinks.revokedAt),
          gt(routeShareLinks.expiresAt, now),
          or(isNull(routeShareLinks.maxUses), lt(routeShareLinks.uses, routeShareLinks.maxUses)),
        ),
      )
      .returning();
    if (!link) return null;
    const sessionToken = randomSecret(32);
    const expiresAt = new Date(Math.min(now.getTime() + route.authSessionHours * 3_600_000, link.expiresAt.getTime()));
    await tx.insert(routeAuthSessions).values({
      id: sha256Hex(sessionToken),
      routeId: route.id,
      userId: null,
      shareLinkId: link.id,
      stage: 'active',
      createdAt: now,
      expiresAt,
      ip: ctx.ip ?? null,
      userAgent: userAgent?.slice(0, 512) ?? null,
    });
    await recordAudit({
      ctx,
      tx,
      input: {
        action: 'share_link.use',
        resourceType: 'route',
        resourceId: route.id,
        after: { share_link_id: link.id, name: link.name, uses: link.uses, max_uses: link.maxUses },
      },
    });
    return { token: sessionToken, expiresAt };
  });
}
