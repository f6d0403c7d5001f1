CREATE TABLE `peers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`public_key` text NOT NULL,
	`private_key` text,
	`preshared_key` text,
	`address` text NOT NULL,
	`dns` text NOT NULL,
	`allowed_ips` text NOT NULL,
	`persistent_keepalive` integer,
	`enabled` integer DEFAULT true NOT NULL,
	`expires_at` integer,
	`tags` text NOT NULL,
	`is_gateway` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `peers_name_unique` ON `peers` (`name`);--> statement-breakpoint
CREATE UNIQUE INDEX `peers_publicKey_unique` ON `peers` (`public_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `peers_address_unique` ON `peers` (`address`);--> statement-breakpoint
CREATE INDEX `peers_enabled_expires_idx` ON `peers` (`enabled`,`expires_at`);