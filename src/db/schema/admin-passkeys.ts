import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { adminUsers } from './admin-users.ts';

/** WebAuthn credentials of admin users (src/services/passkeys/): a second factor or a passwordless login. */
export const adminPasskeys = sqliteTable(
  'admin_passkeys',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    userId: integer()
      .notNull()
      .references(() => adminUsers.id, { onDelete: 'cascade' }),
    /** The credential id, base64url, as the authenticator names it. */
    credentialId: text().notNull().unique(),
    /** COSE public key, base64url. A public key: nothing secret is stored. */
    publicKey: text().notNull(),
    /** The signature counter last seen (0 for authenticators that do not count). */
    counter: integer().notNull().default(0),
    /** JSON array of transports the browser reported (usb, internal, hybrid, …). */
    transports: text({ mode: 'json' }).$type<string[]>(),
    name: text().notNull(),
    createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
    lastUsedAt: integer({ mode: 'timestamp_ms' }),
  },
  (t) => [index('admin_passkeys_user_idx').on(t.userId)],
);

export type AdminPasskey = typeof adminPasskeys.$inferSelect;
