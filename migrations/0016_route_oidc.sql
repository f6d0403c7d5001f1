CREATE TABLE `route_oidc_logins` (
	`id` text PRIMARY KEY NOT NULL,
	`route_id` integer NOT NULL,
	`provider_id` integer NOT NULL,
	`host` text NOT NULL,
	`state` text NOT NULL,
	`nonce` text NOT NULL,
	`verifier` text NOT NULL,
	`return_to` text NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`route_id`) REFERENCES `routes`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`provider_id`) REFERENCES `identity_providers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `route_oidc_logins_expires_idx` ON `route_oidc_logins` (`expires_at`);--> statement-breakpoint
ALTER TABLE `route_auth_sessions` ADD `provider_id` integer REFERENCES identity_providers(id) ON DELETE cascade;--> statement-breakpoint
ALTER TABLE `route_auth_sessions` ADD `sso_domain` text;--> statement-breakpoint
ALTER TABLE `routes` ADD `auth_provider_id` integer REFERENCES identity_providers(id);--> statement-breakpoint
ALTER TABLE `routes` ADD `auth_sso_domain` text;