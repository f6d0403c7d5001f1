import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { adminUsers } from './admin-users.ts';
import { routes } from './routes.ts';

/**
 * App tokens of a route with a login, for apps and scripts that cannot show a login page: sent in `header`,
 * optionally only for `pathPrefixes`. They replace the login only: the route's policy (addresses, countries,
 * rate limit) runs before, in the data plane. Only the token's SHA-256 is stored; Caddy removes the header
 * before the upstream (src/caddy/route-auth.ts).
 */
export const routeAppTokens = sqliteTable(
  'route_app_tokens',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    routeId: integer()
      .notNull()
      .references(() => routes.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    tokenHash: text().notNull().unique(),
    prefix: text().notNull(),
    /** The request header that carries it, canonical case (`X-App-Token`). */
    header: text().notNull(),
    /** Empty: every path. */
    pathPrefixes: text({ mode: 'json' }).$type<string[]>().notNull(),
    expiresAt: integer({ mode: 'timestamp_ms' }),
    createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
    createdBy: integer().references(() => adminUsers.id, { onDelete: 'set null' }),
    lastUsedAt: integer({ mode: 'timestamp_ms' }),
    revokedAt: integer({ mode: 'timestamp_ms' }),
  },
  (t) => [index('route_app_tokens_route_idx').on(t.routeId)],
);

export type RouteAppToken = typeof routeAppTokens.$inferSelect;
