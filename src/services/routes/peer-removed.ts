import { eq, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import type { Tx } from '../../db/index.ts';
import { qualified } from '../../db/qualified.ts';
import { policies, routes } from '../../db/schema/index.ts';
import { withoutPeers } from '../../policy/peers.ts';
import { recordAudit } from '../audit/record.ts';

/**
 * A peer that is disabled, expired or deleted leaves every policy that names it by id — routes' own and shared
 * ones — in the peer change's own transaction (docs/architecture.md#access-control; GateControl, whose API we
 * mirror, drops it from route ACLs the same way). The compiled snapshot already resolves such a peer to no
 * address, so this changes no decision (src/policy/peers.ts); it keeps a re-enabled peer out (that is a
 * decision) and leaves no id behind that a later edit would refuse as unknown.
 */
export async function removePeersFromAcls({ ctx, tx, peerIds }: { ctx: ServiceContext; tx: Tx; peerIds: number[] }) {
  // A cheap prefilter: the policy's text mentions one of the ids as a string value; withoutPeers decides.
  const mentions = (column: typeof routes.policy | typeof policies.policy) =>
    sql.join(
      peerIds.map((id) => sql`instr(${qualified(column)}, ${`"${id}"`}) > 0`),
      sql` OR `,
    );
  let changed = 0;
  const ownRows = await tx.select({ id: routes.id, policy: routes.policy }).from(routes).where(mentions(routes.policy));
  for (const route of ownRows) {
    const after = route.policy && withoutPeers(route.policy, peerIds);
    if (!after) continue;
    changed++;
    await tx.update(routes).set({ policy: after, updatedAt: ctx.now() }).where(eq(routes.id, route.id));
    await recordAudit({
      ctx,
      tx,
      input: {
        action: 'route.acl_peer_removed',
        resourceType: 'route',
        resourceId: route.id,
        before: { policy: route.policy },
        after: { policy: after, removed_peers: peerIds },
      },
    });
  }
  const sharedRows = await tx
    .select({ id: policies.id, policy: policies.policy })
    .from(policies)
    .where(mentions(policies.policy));
  for (const row of sharedRows) {
    const after = withoutPeers(row.policy, peerIds);
    if (!after) continue;
    changed++;
    await tx.update(policies).set({ policy: after, updatedAt: ctx.now() }).where(eq(policies.id, row.id));
    await recordAudit({
      ctx,
      tx,
      input: {
        action: 'policy.peer_removed',
        resourceType: 'policy',
        resourceId: row.id,
        before: { policy: row.policy },
        after: { policy: after, removed_peers: peerIds },
      },
    });
  }
  return changed;
}
