import { sql } from 'drizzle-orm';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** People who administer this Gatehouse (dashboard and API). */
export const adminUsers = sqliteTable('admin_users', {
  id: integer().primaryKey({ autoIncrement: true }),
  username: text().notNull().unique(),
  /** argon2id PHC string. */
  passwordHash: text().notNull(),
  /** Base32 TOTP secret; set while enrolling, used once `totpEnabled`. */
  totpSecret: text(),
  totpEnabled: integer({ mode: 'boolean' }).notNull().default(false),
  /** The last TOTP time step accepted, so a code cannot be replayed within its window. */
  totpLastCounter: integer(),
  createdAt: integer({ mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch() * 1000)`),
  passwordChangedAt: integer({ mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch() * 1000)`),
});

export type AdminUser = typeof adminUsers.$inferSelect;
