import { z } from '@hono/zod-openapi';

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
