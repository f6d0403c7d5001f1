import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { identityProviders } from './identity-providers.ts';
import { routes } from './routes.ts';

/**
 * Route logins through an identity provider between the authorization request and the callback. The browser
 * holds a random token in a host cookie; only its SHA-256 is the key, so the state, nonce and PKCE verifier
 * are bound to that browser, and the callback deletes the row it reads: each one is used at most once.
 */
export const routeOidcLogins = sqliteTable(
  'route_oidc_logins',
  {
    id: text().primaryKey(),
    routeId: integer()
      .notNull()
      .references(() => routes.id, { onDelete: 'cascade' }),
    providerId: integer()
      .notNull()
      .references(() => identityProviders.id, { onDelete: 'cascade' }),
    /** The host (with port) the login started on: the redirect URI is on it, and the callback must be too. */
    host: text().notNull(),
    state: text().notNull(),
    nonce: text().notNull(),
    verifier: text().notNull(),
    /** Where to go after the login: a relative path (safeReturnPath), never another site. */
    returnTo: text().notNull(),
    expiresAt: integer({ mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('route_oidc_logins_expires_idx').on(t.expiresAt)],
);

export type RouteOidcLogin = typeof routeOidcLogins.$inferSelect;
