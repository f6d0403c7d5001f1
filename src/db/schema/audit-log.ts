import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Who changed what, with the state before and after. Written in the same transaction as the change. */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    at: integer({ mode: 'timestamp_ms' }).notNull(),
    /** `admin:<id>`, `token:<id>`, `gateway:<id>` or `system`. */
    actor: text().notNull(),
    /** e.g. `token.create`, `route.update`, `auth.login_failed`. */
    action: text().notNull(),
    /** The admin user behind the actor (a token's creator), by name at the time, so deleting them keeps it. */
    actorUser: text(),
    resourceType: text(),
    resourceId: text(),
    before: text({ mode: 'json' }),
    after: text({ mode: 'json' }),
    ip: text(),
    requestId: text(),
  },
  (t) => [index('audit_log_at_idx').on(t.at), index('audit_log_resource_idx').on(t.resourceType, t.resourceId)],
);

export type AuditEntry = typeof auditLog.$inferSelect;
