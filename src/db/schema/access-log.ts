import { index, integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * One row per HTTP request, L4 connection or UDP session through a route, as the data plane logged it
 * (caddy-module/access_log.go) and the follower stored it (src/services/access-log/). Kept by age and by count
 * (settings `access_log_retention_days`, `access_log_max_entries`). No foreign keys: an entry outlives its
 * route or peer, and ingestion never waits on them.
 */
export const accessLog = sqliteTable(
  'access_log',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    at: integer({ mode: 'timestamp_ms' }).notNull(),
    routeId: integer(),
    /** `http`, `tcp` or `udp`. */
    kind: text().notNull(),
    client: text().notNull(),
    country: text(),
    asn: text(),
    /** The peer whose tunnel address the client was (resolved at ingestion). */
    peerId: integer(),
    /** The route login's user (the verify endpoint's Remote-User). */
    user: text(),
    /** `allow` or `deny`. */
    decision: text().notNull(),
    /** The deciding check (`rule`, `default`, `rate_limit`, …) and rule text; empty for an open route. */
    check: text(),
    rule: text(),
    host: text(),
    method: text(),
    path: text(),
    /** HTTP status; null for L4. */
    status: integer(),
    bytesIn: integer().notNull(),
    bytesOut: integer().notNull(),
    durationMs: real().notNull(),
  },
  (t) => [
    index('access_log_at_idx').on(t.at),
    index('access_log_route_at_idx').on(t.routeId, t.at),
    index('access_log_client_idx').on(t.client),
    index('access_log_decision_idx').on(t.decision, t.at),
    index('access_log_rule_idx').on(t.rule),
  ],
);

export type AccessLogRow = typeof accessLog.$inferSelect;
export type NewAccessLogRow = typeof accessLog.$inferInsert;
