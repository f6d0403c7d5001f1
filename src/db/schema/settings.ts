import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Key/value settings changed at run time (JSON values). The config version lives here too. */
export const settings = sqliteTable('settings', {
  key: text().primaryKey(),
  value: text({ mode: 'json' }).notNull(),
  updatedAt: integer({ mode: 'timestamp_ms' }).notNull(),
});
