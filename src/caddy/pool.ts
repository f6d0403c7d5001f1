import type { Route } from '../db/schema/routes.ts';
import { type Pool, poolTargets } from '../pool/schema.ts';

/**
 * Gateway pools in the snapshot (issue 19, docs/snapshot.md): which members are in the rotation, and the
 * load-balancing and health-check options of Caddy's reverse_proxy and caddy-l4's proxy for them.
 */

export interface GatewayPresence {
  id: number;
  /** The gateway's WireGuard tunnel address (its peer's address). */
  tunnelIp: string | undefined;
  /**
   * false: the agent's event stream is down, or it has not reported since it reconnected (its listeners may not
   * be open yet; src/server.ts); undefined: not known (tests, tools).
   */
  online?: boolean | undefined;
  /** Routes whose target this gateway's agent reports unreachable, or whose listener it could not open. */
  failingRoutes?: readonly number[] | undefined;
}

/**
 * The tunnel addresses Caddy dials for a gateway route, in priority order. A member whose agent is offline or
 * reports the route failing leaves the rotation; when that would leave none, every member stays listed so the
 * data plane's own checks decide (the route does not vanish because the control plane lost sight of agents).
 */
export function poolMembers(route: Route, gateways: ReadonlyMap<number, GatewayPresence>): string[] {
  // A map by id, built once per compile (snapshot.ts compileLookups): a scan per member cost routes × gateways.
  const listed = poolTargets(route)
    .map((t) => gateways.get(t.gatewayId))
    .filter((g): g is GatewayPresence & { tunnelIp: string } => g?.tunnelIp !== undefined);
  const inRotation = listed.filter((g) => g.online !== false && !g.failingRoutes?.includes(route.id));
  return (inRotation.length > 0 ? inRotation : listed).map((g) => g.tunnelIp);
}

/** caddy-l4's selection policy names (layer4.proxy.selection_policies.*) and Caddy's (http.reverse_proxy.selection_policies.*). */
function selection(pool: Pool, layer: 'l4' | 'http'): string {
  if (pool.mode === 'failover') return 'first';
  if (pool.balance === 'client_hash') return layer === 'l4' ? 'ip_hash' : 'client_ip_hash';
  return pool.balance;
}

/**
 * How long a new connection keeps trying the next member after a failed dial: a dead member costs one refused
 * or timed-out dial, then its passive failure keeps it out until the active checks see it back.
 */
const TRY_DURATION = '2s';
const TRY_INTERVAL = '50ms';
const DIAL_FAILURE_MEMORY = '10s';

/** caddy-l4 proxy options for a pool (modules/l4proxy: load_balancing, health_checks). */
export function l4PoolOptions(pool: Pool | null, network: 'tcp' | 'udp'): Record<string, unknown> {
  if (!pool) return {};
  return {
    load_balancing: {
      selection: { policy: selection(pool, 'l4') },
      try_duration: TRY_DURATION,
      try_interval: TRY_INTERVAL,
    },
    health_checks: {
      // A UDP "connect" proves nothing; UDP members follow the agents' reports (poolMembers) only.
      ...(network === 'tcp'
        ? {
            active: {
              interval: `${pool.check_interval_seconds}s`,
              timeout: '2s',
              rise: pool.healthy_after,
              fall: 1,
            },
          }
        : {}),
      passive: { fail_duration: DIAL_FAILURE_MEMORY, max_fails: 1 },
    },
  };
}

/** Caddy reverse_proxy options for a pool; active checks only when the route names a health check path. */
export function httpPoolOptions(pool: Pool | null, route: Route): Record<string, unknown> {
  if (!pool) return {};
  const check = route.healthCheck;
  return {
    load_balancing: {
      selection_policy: { policy: selection(pool, 'http') },
      try_duration: TRY_DURATION,
      try_interval: TRY_INTERVAL,
    },
    health_checks: {
      ...(check
        ? {
            active: {
              uri: check.path,
              interval: `${pool.check_interval_seconds}s`,
              timeout: `${check.timeout_seconds}s`,
              passes: pool.healthy_after,
              fails: 1,
              ...(check.expect_status ? { expect_status: check.expect_status } : {}),
            },
          }
        : {}),
      passive: { fail_duration: DIAL_FAILURE_MEMORY, max_fails: 1 },
    },
  };
}
