import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { Policy } from '../../policy/schema.ts';

/**
 * Shared access policies (docs/architecture.md "Access control"): named, attachable to any number of routes
 * (`routes.policy_id`). The policy itself is one JSON value in the shape of src/policy/schema.ts, so a new rule
 * condition needs no column.
 */
export const policies = sqliteTable('policies', {
  id: integer().primaryKey({ autoIncrement: true }),
  name: text().notNull().unique(),
  description: text().notNull().default(''),
  policy: text({ mode: 'json' }).$type<Policy>().notNull(),
  createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
  updatedAt: integer({ mode: 'timestamp_ms' }).notNull(),
});

export type PolicyRow = typeof policies.$inferSelect;
export type NewPolicyRow = typeof policies.$inferInsert;
