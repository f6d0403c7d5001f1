import { asc, eq, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/index.ts';
import { type Route, routes } from '../../db/schema/index.ts';

/**
 * Which routes use a gateway: as their own target (`routes.gateway_id`) or as a member of their pool
 * (`routes.pool`, src/pool/schema.ts). The one place that reads both for the gateways resource, so a delete, a
 * `lan_networks` change and the dashboard's confirm page agree on what "in use" means.
 */
export async function routesUsingGateway(db: DbOrTx, gatewayId: number): Promise<Route[]> {
  const inPool = sql`exists (select 1 from json_each(${routes.pool}, '$.members') as member
    where json_extract(member.value, '$.gateway_id') = ${gatewayId})`;
  return db
    .select()
    .from(routes)
    .where(or(eq(routes.gatewayId, gatewayId), inPool))
    .orderBy(asc(routes.id));
}

/** How `route` uses the gateway: its own target, or a pool member (a gateway is never both, src/services/routes/pool.ts). */
export const gatewayUse = (route: Pick<Route, 'gatewayId'>, gatewayId: number): 'target' | 'pool_member' =>
  route.gatewayId === gatewayId ? 'target' : 'pool_member';

/** Where in `route` its LAN hosts on the gateway sit: `target_lan_host` and/or `pool.members.N.target_lan_host`. */
export function lanHostsOn(
  route: Pick<Route, 'gatewayId' | 'targetLanHost' | 'pool'>,
  gatewayId: number,
): { field: string; host: string }[] {
  const own =
    route.gatewayId === gatewayId && route.targetLanHost
      ? [{ field: 'target_lan_host', host: route.targetLanHost }]
      : [];
  const members = (route.pool?.members ?? []).flatMap((m, i) =>
    m.gateway_id === gatewayId ? [{ field: `pool.members.${i}.target_lan_host`, host: m.target_lan_host }] : [],
  );
  return [...own, ...members];
}
