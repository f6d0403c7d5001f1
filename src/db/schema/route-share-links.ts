import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { adminUsers } from './admin-users.ts';
import { routes } from './routes.ts';

/**
 * Share links: a time-limited (optionally use-limited) way into a route with a login, without an account.
 * The link carries a random token; only its SHA-256 is stored. Opening it (a POST from its page, so link
 * previews do not spend a use) starts a route session tied to the link: revoking the link ends them.
 */
export const routeShareLinks = sqliteTable(
  'route_share_links',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    routeId: integer()
      .notNull()
      .references(() => routes.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    tokenHash: text().notNull().unique(),
    /** The token's first characters, to tell links apart in a list. */
    prefix: text().notNull(),
    expiresAt: integer({ mode: 'timestamp_ms' }).notNull(),
    /** Null: any number of uses until it expires. */
    maxUses: integer(),
    uses: integer().notNull().default(0),
    createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
    createdBy: integer().references(() => adminUsers.id, { onDelete: 'set null' }),
    revokedAt: integer({ mode: 'timestamp_ms' }),
  },
  (t) => [index('route_share_links_route_idx').on(t.routeId)],
);

export type RouteShareLink = typeof routeShareLinks.$inferSelect;
