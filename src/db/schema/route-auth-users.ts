import { integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { routes } from './routes.ts';

/**
 * People who may log in to one route (route auth), as an alternative to the route's shared password.
 * Passwords are argon2id hashes; the TOTP secret is shown once at enrollment and never returned again.
 */
export const routeAuthUsers = sqliteTable(
  'route_auth_users',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    routeId: integer()
      .notNull()
      .references(() => routes.id, { onDelete: 'cascade' }),
    username: text().notNull(),
    passwordHash: text().notNull(),
    /** Base32; the second factor when the route's auth_method is password_totp. */
    totpSecret: text(),
    /** The last TOTP time step accepted, so a code cannot be replayed within its window. */
    totpLastCounter: integer(),
    createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer({ mode: 'timestamp_ms' }).notNull(),
    lastLoginAt: integer({ mode: 'timestamp_ms' }),
  },
  (t) => [uniqueIndex('route_auth_users_route_username_idx').on(t.routeId, t.username)],
);

export type RouteAuthUser = typeof routeAuthUsers.$inferSelect;
