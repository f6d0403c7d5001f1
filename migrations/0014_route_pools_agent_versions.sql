ALTER TABLE `gateways` ADD `agent_version` text;--> statement-breakpoint
ALTER TABLE `gateways` ADD `agent_protocol` integer;--> statement-breakpoint
ALTER TABLE `routes` ADD `pool` text;