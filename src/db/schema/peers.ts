import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * WireGuard peers: people's devices and gateway agents. The server interface carries every enabled,
 * unexpired peer (applied with `wg syncconf`). Live stats are not stored here: they come from
 * `wg show dump` and live in memory (src/wireguard/stats.ts says why).
 */
export const peers = sqliteTable(
  'peers',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    name: text().notNull().unique(),
    publicKey: text().notNull().unique(),
    /**
     * Only for key pairs the server generated, so the config can be downloaded again. Never in list/get
     * responses: only GET /peers/:id/config (and its QR code) carries it. Null when the user brought a public key.
     */
    privateKey: text(),
    presharedKey: text(),
    /** The tunnel address (IPv4, inside the VPN subnet). UNIQUE is what makes concurrent allocation safe. */
    address: text().notNull().unique(),
    /** DNS servers for the client config (IP addresses). */
    dns: text({ mode: 'json' }).$type<string[]>().notNull(),
    /**
     * The split tunnel's networks: the VPN subnet first, then the listed ones. A full-tunnel peer's config routes
     * 0.0.0.0/0 instead; the list is kept for when it goes back to split.
     */
    allowedIps: text({ mode: 'json' }).$type<string[]>().notNull(),
    /**
     * `split` (the default, and always for gateways): only allowedIps go through the tunnel. `full`: everything,
     * and the server forwards and masquerades that peer's traffic (src/wireguard/forwarding.ts).
     */
    tunnelMode: text({ enum: ['split', 'full'] })
      .notNull()
      .default('split'),
    persistentKeepalive: integer(),
    enabled: integer({ mode: 'boolean' }).notNull().default(true),
    expiresAt: integer({ mode: 'timestamp_ms' }),
    /** Groups for route ACLs (lower-case names). */
    tags: text({ mode: 'json' }).$type<string[]>().notNull(),
    isGateway: integer({ mode: 'boolean' }).notNull().default(false),
    createdAt: integer({ mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer({ mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('peers_enabled_expires_idx').on(t.enabled, t.expiresAt)],
);

export type Peer = typeof peers.$inferSelect;
export type NewPeer = typeof peers.$inferInsert;
