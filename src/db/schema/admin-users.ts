import { sql } from 'drizzle-orm';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { ADMIN_ROLES } from '../../auth/roles.ts';

/** People who administer this Gatehouse (dashboard and API). */
export const adminUsers = sqliteTable('admin_users', {
  id: integer().primaryKey({ autoIncrement: true }),
  username: text().notNull().unique(),
  /** argon2id PHC string; empty while an invite is open (no password can match it). */
  passwordHash: text().notNull(),
  /** What this user may do (src/auth/roles.ts); the bootstrap admin (and every admin from before roles) is an owner. */
  role: text({ enum: ADMIN_ROLES }).notNull().default('owner'),
  /** Optional contact address, lower-cased (src/schemas/users.ts). */
  email: text(),
  /** Set: the user cannot log in, their sessions are gone and their API tokens stop working. */
  disabledAt: integer({ mode: 'timestamp_ms' }),
  /** Base32 TOTP secret; set while enrolling, used once `totpEnabled`. */
  totpSecret: text(),
  totpEnabled: integer({ mode: 'boolean' }).notNull().default(false),
  /** The last TOTP time step accepted, so a code cannot be replayed within its window. */
  totpLastCounter: integer(),
  createdAt: integer({ mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch() * 1000)`),
  passwordChangedAt: integer({ mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch() * 1000)`),
});

export type AdminUser = typeof adminUsers.$inferSelect;
