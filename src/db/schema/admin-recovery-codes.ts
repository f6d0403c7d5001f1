import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { adminUsers } from './admin-users.ts';

/**
 * An admin's TOTP recovery codes: shown once when TOTP is turned on (or the codes regenerated), each accepted
 * once in place of a TOTP code. Only the SHA-256 of a code is stored (src/services/admin/recovery-codes.ts).
 */
export const adminRecoveryCodes = sqliteTable(
  'admin_recovery_codes',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    userId: integer()
      .notNull()
      .references(() => adminUsers.id, { onDelete: 'cascade' }),
    /** Hex SHA-256 of the normalised code. */
    codeHash: text().notNull(),
    createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
    /** When the code was used; a used code is never accepted again. */
    usedAt: integer({ mode: 'timestamp_ms' }),
  },
  (t) => [index('admin_recovery_codes_user_idx').on(t.userId, t.codeHash)],
);

export type AdminRecoveryCode = typeof adminRecoveryCodes.$inferSelect;
