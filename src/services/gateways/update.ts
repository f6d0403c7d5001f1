import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { gateways } from '../../db/schema/index.ts';
import { NotFoundError } from '../../errors.ts';
import type { UpdateGatewayInput } from '../../schemas/gateways.ts';
import { recordAudit } from '../audit/record.ts';
import { changeConfig } from '../config/change.ts';
import { assertNameFree, checkPeer } from './create.ts';
import { assertRoutesInsideLanNetworks } from './lan-networks.ts';
import { auditView } from './public.ts';

/**
 * A new peer moves the gateway's tunnel IP, which the snapshot's gateway targets point at: that write goes
 * through `changeConfig` (version bump, snapshot push, publish to gateways), and so do new LAN networks (the
 * agent's target guard enforces them). A name does not.
 */
export async function updateGateway({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { id: number; patch: UpdateGatewayInput };
}) {
  const { id, patch } = input;
  const write = async (tx: Parameters<Parameters<ServiceContext['db']['transaction']>[0]>[0]) => {
    const [before] = await tx.select().from(gateways).where(eq(gateways.id, id));
    if (!before) throw new NotFoundError('gateway', id);
    if (patch.name !== undefined) await assertNameFree(tx, patch.name, id);
    if (patch.peer_id) await checkPeer(tx, patch.peer_id, id);
    if (patch.lan_networks !== undefined) await assertRoutesInsideLanNetworks(tx, id, patch.lan_networks);
    const [after] = await tx
      .update(gateways)
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.peer_id !== undefined ? { peerId: patch.peer_id } : {}),
        ...(patch.lan_networks !== undefined ? { lanNetworks: patch.lan_networks } : {}),
        updatedAt: ctx.now(),
      })
      .where(eq(gateways.id, id))
      .returning();
    await recordAudit({
      ctx,
      tx,
      input: {
        action: 'gateway.update',
        resourceType: 'gateway',
        resourceId: id,
        before: auditView(before),
        after: auditView(after!),
      },
    });
    return { before, after: after! };
  };
  // lan_networks travel to the agent too (its target guard enforces them), so they take the config path.
  if (patch.peer_id === undefined && patch.lan_networks === undefined) return (await ctx.db.transaction(write)).after;
  return (await changeConfig(ctx, write)).result.after;
}
