import { inLanNetworks, judgeTargetHost } from '@gatehouse/protocol';
import type { Tx } from '../../db/index.ts';
import { ConflictError } from '../../errors.ts';
import { lanHostsOn, routesUsingGateway } from './usage.ts';

/**
 * A gateway's `lan_networks` bound what its routes may reach (SECURITY.md#what-a-route-may-dial): shrinking
 * them under a LAN host on this gateway (a route's own `target_lan_host`, or a pool member's) that would fall
 * outside is refused, naming each such route and field, instead of leaving routes the agent would refuse at dial
 * time. Host names are left to the agent (it checks what they resolve to).
 */
export async function assertRoutesInsideLanNetworks(tx: Tx, gatewayId: number, lanNetworks: string[]): Promise<void> {
  const rows = await routesUsingGateway(tx, gatewayId);
  const outside = rows
    .filter((r) => r.targetKind === 'gateway')
    .flatMap((r) => lanHostsOn(r, gatewayId).map((h) => ({ route_id: r.id, ...h })))
    .filter((h) => {
      const judged = judgeTargetHost(h.host);
      return judged.kind === 'ip' && !inLanNetworks(judged.host, lanNetworks);
    });
  if (outside.length === 0) return;
  const ids = [...new Set(outside.map((h) => h.route_id))];
  const list = outside
    .map((h) =>
      h.field === 'target_lan_host' ? `route ${h.route_id} (${h.host})` : `route ${h.route_id} ${h.field} (${h.host})`,
    )
    .join(', ');
  throw new ConflictError(
    `lan_networks would no longer contain the LAN host of ${list}; change or delete ${ids.length === 1 ? 'that route' : 'those routes'} first`,
    { field: 'lan_networks', conflicting_route_ids: ids, conflicts: outside },
  );
}
