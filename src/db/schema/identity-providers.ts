import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { AdminRole } from '../../auth/roles.ts';
import { adminUsers } from './admin-users.ts';

/** One group (as the provider names it in the groups claim) and the admin role it gives. */
export interface GroupRole {
  group: string;
  role: AdminRole;
}

/**
 * OpenID Connect providers the dashboard and routes (auth_method oidc, routes.auth_provider_id) log in through. The client secret is sealed
 * with src/auth/secret-box.ts; read it through src/services/identity-providers/.
 */
export const identityProviders = sqliteTable('identity_providers', {
  id: integer().primaryKey({ autoIncrement: true }),
  name: text().notNull().unique(),
  /** The issuer identifier; its discovery document is `<issuer>/.well-known/openid-configuration`. */
  issuer: text().notNull(),
  clientId: text().notNull(),
  /** Sealed (`enc:v1:…`). */
  clientSecret: text().notNull(),
  /** Space-separated, always with `openid`. */
  scopes: text().notNull().default('openid email profile'),
  emailClaim: text().notNull().default('email'),
  groupsClaim: text().notNull().default('groups'),
  /** Groups → admin roles; the highest role among the user's groups wins; none matches → refused. */
  groupRoles: text({ mode: 'json' }).$type<GroupRole[]>().notNull().default(sql`'[]'`),
  /** Offered on the dashboard's login page. */
  forDashboard: integer({ mode: 'boolean' }).notNull().default(true),
  /** May be named by route policies (route login through OpenID Connect). */
  forRoutes: integer({ mode: 'boolean' }).notNull().default(false),
  createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
  updatedAt: integer({ mode: 'timestamp_ms' }).notNull(),
});

/** Which provider account is which admin user: (provider, `sub`) → user, made at the first login. */
export const adminIdentities = sqliteTable(
  'admin_identities',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    providerId: integer()
      .notNull()
      .references(() => identityProviders.id, { onDelete: 'cascade' }),
    subject: text().notNull(),
    userId: integer()
      .notNull()
      .references(() => adminUsers.id, { onDelete: 'cascade' }),
    createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
    lastLoginAt: integer({ mode: 'timestamp_ms' }),
  },
  (t) => [
    uniqueIndex('admin_identities_subject_idx').on(t.providerId, t.subject),
    index('admin_identities_user_idx').on(t.userId),
  ],
);

export type IdentityProvider = typeof identityProviders.$inferSelect;
