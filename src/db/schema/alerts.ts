import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Where alerts go. `config` holds what may be shown; `secrets` the sealed JSON of the rest (src/auth/secret-box.ts). */
export const alertChannels = sqliteTable('alert_channels', {
  id: integer().primaryKey({ autoIncrement: true }),
  name: text().notNull().unique(),
  /** `webhook`, `ntfy`, `gotify` or `email` (src/schemas/alerts.ts). */
  kind: text().notNull(),
  config: text({ mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  /** Sealed JSON: the webhook's signing secret, ntfy/Gotify tokens, the SMTP password. Null: none. */
  secrets: text(),
  enabled: integer({ mode: 'boolean' }).notNull().default(true),
  /** The outcome of the last delivery attempt (a test too), for the dashboard. */
  lastDeliveryAt: integer({ mode: 'timestamp_ms' }),
  lastDeliveryError: text(),
  createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
  updatedAt: integer({ mode: 'timestamp_ms' }).notNull(),
});

/**
 * One row per condition that holds now (`gateway_offline:12`), so a restarted server neither re-fires an alert it
 * already sent nor forgets one that is pending. Deleted when the condition ends (after the recovery notice).
 */
export const alertStates = sqliteTable('alert_states', {
  key: text().primaryKey(),
  condition: text().notNull(),
  subject: text().notNull(),
  message: text().notNull(),
  /** When the condition was first seen; it fires once it has held for its threshold. */
  since: integer({ mode: 'timestamp_ms' }).notNull(),
  firedAt: integer({ mode: 'timestamp_ms' }),
  lastNotifiedAt: integer({ mode: 'timestamp_ms' }),
});

export type AlertChannelRow = typeof alertChannels.$inferSelect;
export type AlertStateRow = typeof alertStates.$inferSelect;
