import { z } from '@hono/zod-openapi';

/**
 * A gateway pool (issue 19): one route served through several gateways. The route's own gateway
 * (`gateway_id`, `target_lan_host`, `target_lan_port`) is always the first member; `members` lists the others
 * in priority order. This zod schema is the one declaration: the `routes.pool` column's type, the API's input
 * and output, and what the snapshot compiler and the gateway configs read.
 */

/** `failover`: every connection goes to the first member in rotation. `balance`: spread by `balance`. */
export const POOL_MODES = ['failover', 'balance'] as const;
/** `client_hash`: the client address picks the member, so a client sticks to one gateway while it is up. */
export const POOL_BALANCE = ['round_robin', 'least_conn', 'client_hash'] as const;
/** Members including the route's own gateway. */
export const MAX_POOL_MEMBERS = 8;

const port = z.number().int('must be a whole number').min(1, 'must be 1–65535').max(65535, 'must be 1–65535');

export const PoolMemberSchema = z
  .strictObject({
    gateway_id: z.number().int('must be a whole number').positive('must be a gateway id'),
    /** Judged like the route's own target_lan_host, against this member gateway's lan_networks. */
    target_lan_host: z.string().trim().min(1, 'is required').max(253),
    target_lan_port: port,
  })
  .openapi('PoolMember');

export const PoolSchema = z
  .strictObject({
    mode: z.enum(POOL_MODES, { message: 'must be failover or balance' }).default('failover'),
    balance: z.enum(POOL_BALANCE, { message: 'must be round_robin, least_conn or client_hash' }).default('round_robin'),
    members: z
      .array(PoolMemberSchema)
      .min(1, 'a pool needs at least one member besides the route gateway')
      .max(MAX_POOL_MEMBERS - 1, `at most ${MAX_POOL_MEMBERS - 1} members besides the route gateway`),
    /** Good active checks in a row before a member that failed is used again (caddy-l4 `rise`, Caddy `passes`). */
    healthy_after: z.number().int('must be a whole number').min(1, 'must be 1–10').max(10, 'must be 1–10').default(2),
    /** How often the data plane checks each member (a TCP connect for L4, the route's health check path for HTTP). */
    check_interval_seconds: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be 1–300')
      .max(300, 'must be 1–300')
      .default(5),
  })
  .openapi('Pool', {
    description:
      "Several gateways for one route; the route's own gateway is the first member, these follow in priority order",
  });

export type Pool = z.infer<typeof PoolSchema>;
export type PoolMember = z.infer<typeof PoolMemberSchema>;

/** A pool member with its place: 0 is the route's own gateway. */
export interface PoolTarget {
  gatewayId: number;
  lanHost: string;
  lanPort: number;
}

/** Every gateway a route is served through, in priority order (one entry for a route without a pool). */
export function poolTargets(route: {
  gatewayId: number | null;
  targetLanHost: string | null;
  targetLanPort: number | null;
  pool: Pool | null;
}): PoolTarget[] {
  if (route.gatewayId === null || !route.targetLanHost || !route.targetLanPort) return [];
  const first = { gatewayId: route.gatewayId, lanHost: route.targetLanHost, lanPort: route.targetLanPort };
  return [
    first,
    ...(route.pool?.members ?? []).map((m) => ({
      gatewayId: m.gateway_id,
      lanHost: m.target_lan_host,
      lanPort: m.target_lan_port,
    })),
  ];
}
