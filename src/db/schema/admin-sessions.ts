import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { adminUsers } from './admin-users.ts';

/** Dashboard sessions. The cookie carries a random token; only its SHA-256 is stored here. */
export const adminSessions = sqliteTable(
  'admin_sessions',
  {
    id: text().primaryKey(),
    userId: integer()
      .notNull()
      .references(() => adminUsers.id, { onDelete: 'cascade' }),
    /** False between the password step and the TOTP step of a login. */
    fullyAuthenticated: integer({ mode: 'boolean' }).notNull().default(true),
    csrfToken: text().notNull(),
    createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer({ mode: 'timestamp_ms' }).notNull(),
    lastSeenAt: integer({ mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch() * 1000)`),
    ip: text(),
    userAgent: text(),
  },
  (t) => [index('admin_sessions_user_idx').on(t.userId), index('admin_sessions_expires_idx').on(t.expiresAt)],
);

export type AdminSession = typeof adminSessions.$inferSelect;
