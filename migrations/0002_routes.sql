CREATE TABLE `routes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`type` text NOT NULL,
	`name` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`domain` text,
	`target_kind` text NOT NULL,
	`target_host` text,
	`target_port` integer,
	`peer_id` integer,
	`gateway_id` integer,
	`target_lan_host` text,
	`target_lan_port` integer,
	`gateway_port` integer,
	`backend_https` integer DEFAULT false NOT NULL,
	`custom_headers` text NOT NULL,
	`upstreams` text NOT NULL,
	`lb_policy` text DEFAULT 'round_robin' NOT NULL,
	`health_check` text,
	`wol_enabled` integer DEFAULT false NOT NULL,
	`wol_mac` text,
	`l4_protocol` text,
	`l4_listen_port_start` integer,
	`l4_listen_port_end` integer,
	`l4_tls_mode` text,
	`proxy_protocol` text DEFAULT 'none' NOT NULL,
	`acl_enabled` integer DEFAULT false NOT NULL,
	`acl_peers` text NOT NULL,
	`ip_filter_enabled` integer DEFAULT false NOT NULL,
	`ip_filter_mode` text DEFAULT 'whitelist' NOT NULL,
	`ip_filter_rules` text NOT NULL,
	`rate_limit_enabled` integer DEFAULT false NOT NULL,
	`rate_limit_requests` integer DEFAULT 100 NOT NULL,
	`rate_limit_window` text DEFAULT '1m' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `routes_type_idx` ON `routes` (`type`);--> statement-breakpoint
CREATE INDEX `routes_domain_idx` ON `routes` (`domain`);--> statement-breakpoint
CREATE INDEX `routes_listen_idx` ON `routes` (`l4_listen_port_start`,`l4_listen_port_end`);--> statement-breakpoint
CREATE INDEX `routes_gateway_idx` ON `routes` (`gateway_id`);