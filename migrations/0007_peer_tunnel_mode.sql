ALTER TABLE `peers` ADD `tunnel_mode` text DEFAULT 'split' NOT NULL;--> statement-breakpoint
-- Before tunnel_mode, a peer without a network list got AllowedIPs 0.0.0.0/0. Devices keep what their
-- downloaded configs say (full tunnel, which the server now forwards); gateways are always split. Either way
-- the network list keeps only the split networks (the VPN subnet is added when a config is written).
UPDATE `peers` SET `tunnel_mode` = CASE WHEN `is_gateway` = 0 THEN 'full' ELSE 'split' END, `allowed_ips` = '[]' WHERE `allowed_ips` LIKE '%"0.0.0.0/0"%';
