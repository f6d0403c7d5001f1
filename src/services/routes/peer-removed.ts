import { sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import type { Tx } from '../../db/index.ts';
import { qualified } from '../../db/qualified.ts';
import { routes } from '../../db/schema/index.ts';
import { recordAudit } from '../audit/record.ts';

/**
 * A peer that is disabled, expired or deleted leaves every route ACL, in the peer change's own transaction
 * (docs/architecture.md#access-control; GateControl, whose API we mirror, does the same). Re-enabling the peer does not
 * put it back: that is a decision.
 */
export async function removePeersFromAcls({ ctx, tx, peerIds }: { ctx: ServiceContext; tx: Tx; peerIds: number[] }) {
  const gone = new Set(peerIds);
  const affected = await tx
    .select({ id: routes.id, aclPeers: routes.aclPeers })
    .from(routes)
    .where(
      sql`EXISTS (SELECT 1 FROM json_each(${qualified(routes.aclPeers)}) WHERE json_each.value IN (${sql.join(
        peerIds.map((id) => sql`${id}`),
        sql`, `,
      )}))`,
    );
  for (const route of affected) {
    const kept = route.aclPeers.filter((p) => !(typeof p === 'number' && gone.has(p)));
    await tx.update(routes).set({ aclPeers: kept, updatedAt: ctx.now() }).where(sql`${routes.id} = ${route.id}`);
    await recordAudit({
      ctx,
      tx,
      input: {
        action: 'route.acl_peer_removed',
        resourceType: 'route',
        resourceId: route.id,
        before: { acl_peers: route.aclPeers },
        after: { acl_peers: kept },
      },
    });
  }
  return affected.length;
}
