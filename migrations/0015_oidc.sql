CREATE TABLE `admin_identities` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`provider_id` integer NOT NULL,
	`subject` text NOT NULL,
	`user_id` integer NOT NULL,
	`created_at` integer NOT NULL,
	`last_login_at` integer,
	FOREIGN KEY (`provider_id`) REFERENCES `identity_providers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `admin_users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `admin_identities_subject_idx` ON `admin_identities` (`provider_id`,`subject`);--> statement-breakpoint
CREATE INDEX `admin_identities_user_idx` ON `admin_identities` (`user_id`);--> statement-breakpoint
CREATE TABLE `identity_providers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`issuer` text NOT NULL,
	`client_id` text NOT NULL,
	`client_secret` text NOT NULL,
	`scopes` text DEFAULT 'openid email profile' NOT NULL,
	`email_claim` text DEFAULT 'email' NOT NULL,
	`groups_claim` text DEFAULT 'groups' NOT NULL,
	`group_roles` text DEFAULT '[]' NOT NULL,
	`for_dashboard` integer DEFAULT true NOT NULL,
	`for_routes` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `identity_providers_name_unique` ON `identity_providers` (`name`);--> statement-breakpoint
CREATE TABLE `route_app_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`route_id` integer NOT NULL,
	`name` text NOT NULL,
	`token_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`header` text NOT NULL,
	`path_prefixes` text NOT NULL,
	`expires_at` integer,
	`created_at` integer NOT NULL,
	`created_by` integer,
	`last_used_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`route_id`) REFERENCES `routes`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `admin_users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `route_app_tokens_tokenHash_unique` ON `route_app_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `route_app_tokens_route_idx` ON `route_app_tokens` (`route_id`);--> statement-breakpoint
CREATE TABLE `route_share_links` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`route_id` integer NOT NULL,
	`name` text NOT NULL,
	`token_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`expires_at` integer NOT NULL,
	`max_uses` integer,
	`uses` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` integer,
	`revoked_at` integer,
	FOREIGN KEY (`route_id`) REFERENCES `routes`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `admin_users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `route_share_links_tokenHash_unique` ON `route_share_links` (`token_hash`);--> statement-breakpoint
CREATE INDEX `route_share_links_route_idx` ON `route_share_links` (`route_id`);--> statement-breakpoint
ALTER TABLE `route_auth_sessions` ADD `share_link_id` integer REFERENCES route_share_links(id) ON DELETE cascade;--> statement-breakpoint
ALTER TABLE `route_auth_sessions` ADD `identity` text;