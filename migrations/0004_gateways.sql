CREATE TABLE `gateways` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`peer_id` integer,
	`lan_networks` text NOT NULL,
	`token_hash` text NOT NULL,
	`token_prefix` text NOT NULL,
	`last_seen_at` integer,
	`applied_version` integer,
	`last_status` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`peer_id`) REFERENCES `peers`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `gateways_name_unique` ON `gateways` (`name`);--> statement-breakpoint
CREATE UNIQUE INDEX `gateways_tokenHash_unique` ON `gateways` (`token_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `gateways_peer_idx` ON `gateways` (`peer_id`);--> statement-breakpoint
CREATE INDEX `gateways_last_seen_idx` ON `gateways` (`last_seen_at`);