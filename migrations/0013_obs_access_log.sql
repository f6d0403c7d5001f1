CREATE TABLE `access_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`route_id` integer,
	`kind` text NOT NULL,
	`client` text NOT NULL,
	`country` text,
	`asn` text,
	`peer_id` integer,
	`user` text,
	`decision` text NOT NULL,
	`check` text,
	`rule` text,
	`host` text,
	`method` text,
	`path` text,
	`status` integer,
	`bytes_in` integer NOT NULL,
	`bytes_out` integer NOT NULL,
	`duration_ms` real NOT NULL
);
--> statement-breakpoint
CREATE INDEX `access_log_at_idx` ON `access_log` (`at`);--> statement-breakpoint
CREATE INDEX `access_log_route_at_idx` ON `access_log` (`route_id`,`at`);--> statement-breakpoint
CREATE INDEX `access_log_client_idx` ON `access_log` (`client`);--> statement-breakpoint
CREATE INDEX `access_log_decision_idx` ON `access_log` (`decision`,`at`);--> statement-breakpoint
CREATE INDEX `access_log_rule_idx` ON `access_log` (`rule`);