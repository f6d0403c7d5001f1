import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { adminUsers } from './admin-users.ts';

/**
 * One-time invite links: the invited user exists (without a password) and sets one through the link. Only the
 * SHA-256 of the link's token is stored; a used or expired invite is worth nothing.
 */
export const adminInvites = sqliteTable(
  'admin_invites',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    userId: integer()
      .notNull()
      .references(() => adminUsers.id, { onDelete: 'cascade' }),
    tokenHash: text().notNull().unique(),
    createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
    expiresAt: integer({ mode: 'timestamp_ms' }).notNull(),
    usedAt: integer({ mode: 'timestamp_ms' }),
    createdBy: integer().references(() => adminUsers.id, { onDelete: 'set null' }),
  },
  (t) => [index('admin_invites_user_idx').on(t.userId)],
);

export type AdminInvite = typeof adminInvites.$inferSelect;
