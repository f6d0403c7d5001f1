import { z } from '@hono/zod-openapi';

/** Which pool member (gateway) carried a connection or request: the data plane names the upstream host. */
const gatewayFields = {
  member: z
    .string()
    .optional()
    .openapi({ description: "The upstream host the data plane chose (a gateway's tunnel address)" }),
  gateway_id: z.number().int().nullable().openapi({ description: 'The gateway with that tunnel address, if any' }),
  gateway_name: z.string().nullable(),
};

/** An open connection as the data plane tracks it (caddy-module/connections.go). */
export const LiveConnectionSchema = z
  .object({
    id: z.number().int(),
    route: z.string().openapi({ description: 'The route id' }),
    network: z.enum(['tcp', 'udp']),
    client: z.string().openapi({ description: 'The client address' }),
    country: z.string().optional().openapi({ description: 'From the GeoIP database, when one is loaded' }),
    peer_id: z.number().int().nullable().openapi({ description: 'The VPN peer with this tunnel address, if any' }),
    started_at: z.string(),
    age_seconds: z.number().int(),
    bytes_in: z.number().int().openapi({ description: 'Client to target (TCP only)' }),
    bytes_out: z.number().int().openapi({ description: 'Target to client (TCP only)' }),
    ...gatewayFields,
  })
  .openapi('LiveConnection');
export type LiveConnection = z.infer<typeof LiveConnectionSchema>;

export const ConnectionIdParamSchema = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .max(Number.MAX_SAFE_INTEGER)
    .openapi({ param: { name: 'id', in: 'path' } }),
  connection: z.coerce
    .number()
    .int()
    .positive()
    .max(Number.MAX_SAFE_INTEGER)
    .openapi({ param: { name: 'connection', in: 'path' } }),
});

/** One pool member's share of a route's traffic since the data plane started (caddy-module/traffic.go). */
export const MemberTrafficSchema = z
  .object({
    ...gatewayFields,
    member: z.string().openapi({ description: "The upstream host (a gateway's tunnel address); (other) past 16" }),
    connections: z.number().int().openapi({ description: 'New L4 connections and UDP sessions, or HTTP requests' }),
    bytes_in: z.number().int(),
    bytes_out: z.number().int(),
    connection_share: z.number().nullable().openapi({ description: "Percent of the route's connections/requests" }),
    byte_share: z.number().nullable().openapi({ description: "Percent of the route's bytes (both ways)" }),
  })
  .openapi('MemberTraffic');

export const RouteTrafficSchema = z
  .object({
    since: z.string().openapi({ description: 'When the data plane started counting (its start)' }),
    members: z.array(MemberTrafficSchema),
  })
  .openapi('RouteTraffic');
export type RouteTraffic = z.infer<typeof RouteTrafficSchema>;

/** A recent client of an HTTP route (caddy-module/clients.go: the last 100 distinct addresses). */
export const RecentClientSchema = z
  .object({
    client: z.string(),
    country: z.string().optional(),
    peer_id: z.number().int().nullable(),
    ...gatewayFields,
    requests: z.number().int(),
    bytes_in: z.number().int(),
    bytes_out: z.number().int(),
    first_seen_at: z.string(),
    last_seen_at: z.string(),
    age_seconds: z.number().int().openapi({ description: 'Since its first request in the table' }),
  })
  .openapi('RecentClient');
export type RecentClient = z.infer<typeof RecentClientSchema>;
