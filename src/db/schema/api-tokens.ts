import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { adminUsers } from './admin-users.ts';

export const TOKEN_SCOPES = ['read', 'write', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** Bearer tokens for the REST API. The secret is shown once; only its SHA-256 is kept. */
export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    name: text().notNull(),
    /** Hex SHA-256 of the whole token string (`gth_…`). */
    tokenHash: text().notNull().unique(),
    /** The first characters of the token, so people can tell tokens apart in lists. */
    prefix: text().notNull(),
    scope: text({ enum: TOKEN_SCOPES }).notNull(),
    expiresAt: integer({ mode: 'timestamp_ms' }),
    lastUsedAt: integer({ mode: 'timestamp_ms' }),
    createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
    revokedAt: integer({ mode: 'timestamp_ms' }),
    createdBy: integer().references(() => adminUsers.id, { onDelete: 'set null' }),
  },
  (t) => [index('api_tokens_revoked_idx').on(t.revokedAt)],
);

export type ApiToken = typeof apiTokens.$inferSelect;
