-- Access policies on routes (docs/architecture.md "Access control", "GateControl compatibility"): a route has a
-- shared policy (policy_id) or its own (policy, JSON in the shape of src/policy/schema.ts). The old columns of
-- the fixed chain (peer ACL, IP filter, rate limit, auth) become the route's inline policy, built here exactly as
-- policyFromGateControl (src/policy/gatecontrol.ts) builds it, then go away. Plain SQL (JSON1) on purpose: the
-- migrator applies this file in one transaction with the column changes, so no version of the database has
-- the new columns empty or the old ones gone unconverted. Values are carried as they were stored (the old API
-- validated and upper-cased them); test/unit/policy-migration.property.test.ts checks old and new decide alike.
-- Ordered subqueries rather than json_group_array(… ORDER BY …): sqld's SQL parser does not know that form
-- (SQLite 3.44+), and a libSQL server must be able to run every migration (docs/scaling.md).
ALTER TABLE `routes` ADD `policy_id` integer REFERENCES policies(id);--> statement-breakpoint
ALTER TABLE `routes` ADD `policy` text;--> statement-breakpoint
CREATE INDEX `routes_policy_idx` ON `routes` (`policy_id`);--> statement-breakpoint
UPDATE `routes` SET `policy` = json_object(
  'rules', (
    SELECT json_group_array(json(rule)) FROM (SELECT * FROM (
      SELECT 1.0 AS ord, json_object('action', 'deny', 'name', 'peer ACL', 'conditions', (
          SELECT json_group_array(json(c)) FROM (SELECT * FROM (
            SELECT 1 AS o, json_object('type', 'peer', 'not', json('true'), 'values',
                (SELECT json_group_array(CAST(value AS TEXT)) FROM (SELECT value FROM json_each(routes.acl_peers) WHERE type = 'integer' ORDER BY key))) AS c
             WHERE EXISTS (SELECT 1 FROM json_each(routes.acl_peers) WHERE type = 'integer')
            UNION ALL
            SELECT 2, json_object('type', 'peer_tag', 'not', json('true'), 'values',
                (SELECT json_group_array(substr(value, 5)) FROM (SELECT value FROM json_each(routes.acl_peers) WHERE type = 'text' ORDER BY key)))
             WHERE EXISTS (SELECT 1 FROM json_each(routes.acl_peers) WHERE type = 'text')) ORDER BY o))) AS rule
       WHERE routes.acl_enabled
      UNION ALL
      SELECT 2.0, json_object('action', 'deny', 'name', 'IP filter (whitelist)', 'conditions', (
          SELECT json_group_array(json_object('type', v.type, 'not', json('true'), 'values', json(v.vals)))
            FROM (SELECT ft.column1 AS o, ft.column2 AS type,
            (SELECT json_group_array(val) FROM (SELECT json_extract(e.value, '$.value') AS val
               FROM json_each(routes.ip_filter_rules) e
              WHERE json_extract(e.value, '$.type') = ft.column2
                AND NOT EXISTS (SELECT 1 FROM json_each(routes.ip_filter_rules) f
                                 WHERE f.key < e.key AND json_extract(f.value, '$.type') = ft.column2
                                   AND json_extract(f.value, '$.value') = json_extract(e.value, '$.value'))
              ORDER BY e.key)) AS vals
           FROM (VALUES (1, 'ip'), (2, 'cidr'), (3, 'country')) ft
          WHERE EXISTS (SELECT 1 FROM json_each(routes.ip_filter_rules) e WHERE json_extract(e.value, '$.type') = ft.column2)
          ORDER BY ft.column1) v))
       WHERE routes.ip_filter_enabled AND routes.ip_filter_mode = 'whitelist'
      UNION ALL
      SELECT 2.0 + v.o / 10.0, json_object('action', 'deny', 'name', 'IP filter (blacklist)', 'conditions',
          json_array(json_object('type', v.type, 'values', json(v.vals))))
        FROM (SELECT ft.column1 AS o, ft.column2 AS type,
            (SELECT json_group_array(val) FROM (SELECT json_extract(e.value, '$.value') AS val
               FROM json_each(routes.ip_filter_rules) e
              WHERE json_extract(e.value, '$.type') = ft.column2
                AND NOT EXISTS (SELECT 1 FROM json_each(routes.ip_filter_rules) f
                                 WHERE f.key < e.key AND json_extract(f.value, '$.type') = ft.column2
                                   AND json_extract(f.value, '$.value') = json_extract(e.value, '$.value'))
              ORDER BY e.key)) AS vals
           FROM (VALUES (1, 'ip'), (2, 'cidr'), (3, 'country')) ft
          WHERE EXISTS (SELECT 1 FROM json_each(routes.ip_filter_rules) e WHERE json_extract(e.value, '$.type') = ft.column2)) v
       WHERE routes.ip_filter_enabled AND routes.ip_filter_mode = 'blacklist'
    ) ORDER BY ord)
  ),
  'default', 'allow');--> statement-breakpoint
UPDATE `routes` SET `policy` = json_set(`policy`, '$.login', json('true')) WHERE `auth_enabled`;--> statement-breakpoint
UPDATE `routes` SET `policy` = json_set(`policy`, '$.rate_limit',
  json_object('requests', `rate_limit_requests`, 'window', `rate_limit_window`)) WHERE `rate_limit_enabled`;--> statement-breakpoint
ALTER TABLE `routes` DROP COLUMN `acl_enabled`;--> statement-breakpoint
ALTER TABLE `routes` DROP COLUMN `acl_peers`;--> statement-breakpoint
ALTER TABLE `routes` DROP COLUMN `ip_filter_enabled`;--> statement-breakpoint
ALTER TABLE `routes` DROP COLUMN `ip_filter_mode`;--> statement-breakpoint
ALTER TABLE `routes` DROP COLUMN `ip_filter_rules`;--> statement-breakpoint
ALTER TABLE `routes` DROP COLUMN `rate_limit_enabled`;--> statement-breakpoint
ALTER TABLE `routes` DROP COLUMN `rate_limit_requests`;--> statement-breakpoint
ALTER TABLE `routes` DROP COLUMN `rate_limit_window`;--> statement-breakpoint
ALTER TABLE `routes` DROP COLUMN `auth_enabled`;
