import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { identityProviders } from './identity-providers.ts';
import { routeAuthUsers } from './route-auth-users.ts';
import { routeShareLinks } from './route-share-links.ts';
import { routes } from './routes.ts';

export interface RouteSessionIdentity {
  subject: string;
  email: string | null;
  name: string | null;
  groups: string[];
}

export const ROUTE_SESSION_STAGES = ['totp', 'active'] as const;

/**
 * Sessions of route auth (the login page on a route's own domain). The cookie carries a random token; only
 * its SHA-256 is stored. `stage: totp` is a login that passed the password and waits for its TOTP code.
 */
export const routeAuthSessions = sqliteTable(
  'route_auth_sessions',
  {
    id: text().primaryKey(),
    routeId: integer()
      .notNull()
      .references(() => routes.id, { onDelete: 'cascade' }),
    /** Null for the route's shared password. */
    userId: integer().references(() => routeAuthUsers.id, { onDelete: 'cascade' }),
    /** Set for a session opened by a share link (route-share-links.ts): revoking or removing the link ends it. */
    shareLinkId: integer().references(() => routeShareLinks.id, { onDelete: 'cascade' }),
    /** Who logged in through an identity provider (the policy's identity conditions, the Remote-* headers). */
    identity: text({ mode: 'json' }).$type<RouteSessionIdentity>(),
    /** The provider of an identity-provider login; removing the provider ends its sessions. */
    providerId: integer().references(() => identityProviders.id, { onDelete: 'cascade' }),
    /**
     * Set when the session's cookie is the single sign-on cookie on this parent domain: other routes with the same
     * provider and `auth_sso_domain` accept it (src/services/route-auth/sessions.ts readRouteSession).
     */
    ssoDomain: text(),
    stage: text({ enum: ROUTE_SESSION_STAGES }).notNull(),
    /** Wrong TOTP codes for this challenge; it dies at 5. */
    totpFailures: integer().notNull().default(0),
    createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer({ mode: 'timestamp_ms' }).notNull(),
    ip: text(),
    userAgent: text(),
  },
  (t) => [
    index('route_auth_sessions_route_idx').on(t.routeId),
    index('route_auth_sessions_expires_idx').on(t.expiresAt),
  ],
);

export type RouteAuthSession = typeof routeAuthSessions.$inferSelect;
