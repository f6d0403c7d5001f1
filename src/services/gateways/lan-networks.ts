import { inLanNetworks, judgeTargetHost } from '@gatehouse/protocol';
import { and, eq } from 'drizzle-orm';
import type { Tx } from '../../db/index.ts';
import { routes } from '../../db/schema/index.ts';
import { ConflictError } from '../../errors.ts';

/**
 * A gateway's `lan_networks` bound what its routes may reach (SECURITY.md#what-a-route-may-dial): shrinking
 * them under a route whose LAN host would fall outside is refused, naming each such route, instead of leaving
 * routes the agent would refuse at dial time. Host names are left to the agent (it checks what they resolve to).
 */
export async function assertRoutesInsideLanNetworks(tx: Tx, gatewayId: number, lanNetworks: string[]): Promise<void> {
  const rows = await tx
    .select({ id: routes.id, host: routes.targetLanHost })
    .from(routes)
    .where(and(eq(routes.gatewayId, gatewayId), eq(routes.targetKind, 'gateway')));
  const outside = rows.filter(
    (r) => r.host && judgeTargetHost(r.host).kind === 'ip' && !inLanNetworks(judgeTargetHost(r.host).host, lanNetworks),
  );
  if (outside.length === 0) return;
  const list = outside.map((r) => `route ${r.id} (${r.host})`).join(', ');
  throw new ConflictError(
    `lan_networks would no longer contain the LAN host of ${list}; change or delete ${outside.length === 1 ? 'that route' : 'those routes'} first`,
    { field: 'lan_networks', conflicting_route_ids: outside.map((r) => r.id) },
  );
}
