import type { GatewayStatusReport } from '@gatehouse/protocol';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { peers } from './peers.ts';

/**
 * Gateway agents in LANs. A gateway is a WireGuard peer (its tunnel IP is where Caddy sends its traffic)
 * plus a token the agent authenticates with; only the token's SHA-256 is kept.
 */
export const gateways = sqliteTable(
  'gateways',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    name: text().notNull().unique(),
    /** The gateway's WireGuard peer; null until one is assigned (then it has no tunnel IP to listen on). */
    peerId: integer().references(() => peers.id, { onDelete: 'set null' }),
    /** LAN networks behind the gateway (CIDR), for Wake-on-LAN broadcast addresses and target checks. */
    lanNetworks: text({ mode: 'json' }).$type<string[]>().notNull(),
    /** Hex SHA-256 of the whole token string (`gtw_…`). */
    tokenHash: text().notNull().unique(),
    /** The first characters of the token, so people can tell which one an agent uses. */
    tokenPrefix: text().notNull(),
    lastSeenAt: integer({ mode: 'timestamp_ms' }),
    /** The config version the agent last reported as applied. */
    appliedVersion: integer(),
    /** The agent's last status report: listeners and target probes. */
    lastStatus: text({ mode: 'json' }).$type<GatewayStatusReport | null>(),
    /** What the agent announced when its event stream last opened: its release (null: none or unreadable) … */
    agentVersion: text(),
    /** … and its gateway protocol (1 or 2); null until an agent connected. */
    agentProtocol: integer(),
    createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer({ mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('gateways_peer_idx').on(t.peerId), index('gateways_last_seen_idx').on(t.lastSeenAt)],
);

export type Gateway = typeof gateways.$inferSelect;
