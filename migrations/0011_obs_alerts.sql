CREATE TABLE `alert_channels` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`config` text NOT NULL,
	`secrets` text,
	`enabled` integer DEFAULT true NOT NULL,
	`last_delivery_at` integer,
	`last_delivery_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alert_channels_name_unique` ON `alert_channels` (`name`);--> statement-breakpoint
CREATE TABLE `alert_states` (
	`key` text PRIMARY KEY NOT NULL,
	`condition` text NOT NULL,
	`subject` text NOT NULL,
	`message` text NOT NULL,
	`since` integer NOT NULL,
	`fired_at` integer,
	`last_notified_at` integer
);
