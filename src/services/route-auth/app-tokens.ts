import { and, desc, eq, gt, isNull, or } from 'drizzle-orm';
import { randomSecret, sha256Hex } from '../../auth/secrets.ts';
import { actorUserId, type ServiceContext } from '../../context.ts';
import type { Db } from '../../db/index.ts';
import { type RouteAppToken, routeAppTokens, routes } from '../../db/schema/index.ts';
import { ConflictError, NotFoundError } from '../../errors.ts';
import type { CreateAppTokenInput, PublicAppToken } from '../../schemas/app-tokens.ts';
import { recordAudit } from '../audit/record.ts';
import { changeConfig } from '../config/change.ts';
import { appTokenHeaders } from '../config/compile-input.ts';
import { routeUsesLogin } from '../routes/access.ts';

const TOKEN_PREFIX = 'gha_';

export function toPublicAppToken(t: RouteAppToken): PublicAppToken {
  return {
    id: t.id,
    route_id: t.routeId,
    name: t.name,
    prefix: t.prefix,
    header: t.header,
    path_prefixes: t.pathPrefixes,
    expires_at: t.expiresAt ? t.expiresAt.toISOString() : null,
    last_used_at: t.lastUsedAt ? t.lastUsedAt.toISOString() : null,
    created_at: t.createdAt.toISOString(),
    revoked_at: t.revokedAt ? t.revokedAt.toISOString() : null,
  };
}

/** A new token (in this answer only); the route's snapshot is pushed so Caddy strips its header. */
export async function createAppToken({
  ctx,
  routeId,
  input,
}: {
  ctx: ServiceContext;
  routeId: number;
  input: CreateAppTokenInput;
}) {
  const [route] = await ctx.db
    .select({ type: routes.type, policyId: routes.policyId, policy: routes.policy })
    .from(routes)
    .where(eq(routes.id, routeId));
  if (!route) throw new NotFoundError('route', routeId);
  if (route.type !== 'http' || !(await routeUsesLogin(ctx.db, route)))
    throw new ConflictError('an app token replaces a route login; this route has none (its policy asks for none)', {
      field: 'route',
    });
  const token = TOKEN_PREFIX + randomSecret(32);
  const change = await changeConfig(ctx, async (tx) => {
    const [row] = await tx
      .insert(routeAppTokens)
      .values({
        routeId,
        name: input.name,
        tokenHash: sha256Hex(token),
        prefix: token.slice(0, TOKEN_PREFIX.length + 6),
        header: input.header,
        pathPrefixes: input.path_prefixes,
        expiresAt: input.expires_at ? new Date(input.expires_at) : null,
        createdAt: ctx.now(),
        createdBy: actorUserId(ctx.actor) ?? null,
      })
      .returning();
    const pub = toPublicAppToken(row!);
    await recordAudit({
      ctx,
      tx,
      input: { action: 'app_token.create', resourceType: 'route', resourceId: routeId, after: pub },
    });
    return pub;
  });
  return { ...change.result, token };
}

export async function listAppTokens({ ctx, routeId }: { ctx: ServiceContext; routeId: number }) {
  const rows = await ctx.db
    .select()
    .from(routeAppTokens)
    .where(eq(routeAppTokens.routeId, routeId))
    .orderBy(desc(routeAppTokens.id));
  return rows.map(toPublicAppToken);
}

export async function revokeAppToken({
  ctx,
  routeId,
  tokenId,
}: {
  ctx: ServiceContext;
  routeId: number;
  tokenId: number;
}) {
  const change = await changeConfig(ctx, async (tx) => {
    const [before] = await tx
      .select()
      .from(routeAppTokens)
      .where(and(eq(routeAppTokens.id, tokenId), eq(routeAppTokens.routeId, routeId)));
    if (!before) throw new NotFoundError('app token', tokenId);
    const [row] = await tx
      .update(routeAppTokens)
      .set({ revokedAt: before.revokedAt ?? ctx.now() })
      .where(eq(routeAppTokens.id, tokenId))
      .returning();
    const pub = toPublicAppToken(row!);
    await recordAudit({
      ctx,
      tx,
      input: {
        action: 'app_token.revoke',
        resourceType: 'route',
        resourceId: routeId,
        before: toPublicAppToken(before),
        after: pub,
      },
    });
    return pub;
  });
  return change.result;
}

/** `/api` admits `/api` and `/api/…`, not `/apix`; `/api/` admits `/api/…`. */
export function pathAllowed(prefixes: string[], path: string): boolean {
  if (prefixes.length === 0) return true;
  return prefixes.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`));
}

/**
 * The request path as the prefixes are compared with: the URI's path with dot segments resolved; null when it
 * hides a slash or backslash in an escape (`%2f`, `%5c`), which the upstream might read otherwise.
 */
export function cleanPath(uri: string | undefined): string | null {
  const raw = (uri ?? '/').split('?')[0] ?? '/';
  if (/%2f|%5c|\\/i.test(raw) || !raw.startsWith('/')) return null;
  try {
    return new URL(raw, 'http://x').pathname;
  } catch {
    return null;
  }
}

/**
 * The verify endpoint's check: a live token of this route in its own header, for a path it admits. The value
 * is the token, or `Bearer <token>`. Returns the token's name, or null.
 */
export async function appTokenAccess(
  db: Db,
  routeId: number,
  header: (name: string) => string | undefined,
  uri: string | undefined,
  now: Date,
): Promise<string | null> {
  const headers = (await appTokenHeaders(db)).get(routeId) ?? [];
  for (const name of headers) {
    const value = header(name)
      ?.replace(/^Bearer\s+/i, '')
      .trim();
    if (!value?.startsWith(TOKEN_PREFIX) || value.length > 100) continue;
    const [row] = await db
      .select()
      .from(routeAppTokens)
      .where(
        and(
          eq(routeAppTokens.tokenHash, sha256Hex(value)),
          eq(routeAppTokens.routeId, routeId),
          eq(routeAppTokens.header, name),
          isNull(routeAppTokens.revokedAt),
          or(isNull(routeAppTokens.expiresAt), gt(routeAppTokens.expiresAt, now)),
        ),
      );
    if (!row) continue;
    const path = cleanPath(uri);
    if (path === null || !pathAllowed(row.pathPrefixes, path)) continue;
    await db.update(routeAppTokens).set({ lastUsedAt: now }).where(eq(routeAppTokens.id, row.id));
    return row.name;
  }
  return null;
}
