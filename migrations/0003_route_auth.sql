CREATE TABLE `route_auth_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`route_id` integer NOT NULL,
	`user_id` integer,
	`stage` text NOT NULL,
	`totp_failures` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`ip` text,
	`user_agent` text,
	FOREIGN KEY (`route_id`) REFERENCES `routes`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `route_auth_users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `route_auth_sessions_route_idx` ON `route_auth_sessions` (`route_id`);--> statement-breakpoint
CREATE INDEX `route_auth_sessions_expires_idx` ON `route_auth_sessions` (`expires_at`);--> statement-breakpoint
CREATE TABLE `route_auth_users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`route_id` integer NOT NULL,
	`username` text NOT NULL,
	`password_hash` text NOT NULL,
	`totp_secret` text,
	`totp_last_counter` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`last_login_at` integer,
	FOREIGN KEY (`route_id`) REFERENCES `routes`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `route_auth_users_route_username_idx` ON `route_auth_users` (`route_id`,`username`);--> statement-breakpoint
ALTER TABLE `routes` ADD `auth_enabled` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `routes` ADD `auth_method` text DEFAULT 'password' NOT NULL;--> statement-breakpoint
ALTER TABLE `routes` ADD `auth_password_hash` text;--> statement-breakpoint
ALTER TABLE `routes` ADD `basic_auth_enabled` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `routes` ADD `auth_session_hours` integer DEFAULT 24 NOT NULL;