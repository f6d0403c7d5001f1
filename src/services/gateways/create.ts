import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import type { Tx } from '../../db/index.ts';
import { gateways, peers } from '../../db/schema/index.ts';
import { ConflictError, ValidationError } from '../../errors.ts';
import type { CreateGatewayInput } from '../../schemas/gateways.ts';
import { recordAudit } from '../audit/record.ts';
import { auditView, newGatewayToken } from './public.ts';

/** The peer must exist and not serve another gateway already; run inside the caller's transaction. */
export async function checkPeer(tx: Tx, peerId: number, selfId?: number): Promise<void> {
  const [peer] = await tx.select({ id: peers.id }).from(peers).where(eq(peers.id, peerId));
  if (!peer) throw new ValidationError([{ field: 'peer_id', message: `peer ${peerId} does not exist` }]);
  const [other] = await tx.select({ id: gateways.id }).from(gateways).where(eq(gateways.peerId, peerId));
  if (other && other.id !== selfId)
    throw new ConflictError(`peer ${peerId} is already gateway ${other.id}'s peer`, { field: 'peer_id' });
}

export async function assertNameFree(tx: Tx, name: string, selfId?: number): Promise<void> {
  const [other] = await tx.select({ id: gateways.id }).from(gateways).where(eq(gateways.name, name));
  if (other && other.id !== selfId)
    throw new ConflictError(`gateway ${other.id} is already named "${name}"`, { field: 'name' });
}

/** Creates a gateway; its token is in the result only (stored as SHA-256). */
export async function createGateway({ ctx, input }: { ctx: ServiceContext; input: CreateGatewayInput }) {
  const secret = newGatewayToken();
  return ctx.db.transaction(async (tx) => {
    await assertNameFree(tx, input.name);
    if (input.peer_id) await checkPeer(tx, input.peer_id);
    const now = ctx.now();
    const [row] = await tx
      .insert(gateways)
      .values({
        name: input.name,
        peerId: input.peer_id ?? null,
        lanNetworks: input.lan_networks,
        tokenHash: secret.hash,
        tokenPrefix: secret.prefix,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    await recordAudit({
      ctx,
      tx,
      input: { action: 'gateway.create', resourceType: 'gateway', resourceId: row!.id, after: auditView(row!) },
    });
    return { row: row!, token: secret.token };
  });
}
