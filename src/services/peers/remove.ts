import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { withWriteRetry } from '../../db/retry.ts';
import { peers } from '../../db/schema/index.ts';
import { NotFoundError } from '../../errors.ts';
import { recordAudit } from '../audit/record.ts';
import { applyPeers } from './apply.ts';
import type { PeerDeps } from './deps.ts';
import { auditShape, toPublicPeer } from './public.ts';

/** Deletes a peer: off the interface, out of every route ACL (hooks) and out of the table, in one transaction. */
export async function removePeer({ ctx, deps, input }: { ctx: ServiceContext; deps: PeerDeps; input: { id: number } }) {
  const now = ctx.now();
  return withWriteRetry(() =>
    ctx.db.transaction(async (tx) => {
      const [before] = await tx.select().from(peers).where(eq(peers.id, input.id));
      if (!before) throw new NotFoundError('peer', input.id);
      await deps.hooks.peerRemoved(tx, { peerIds: [input.id], reason: 'deleted' });
      await tx.delete(peers).where(eq(peers.id, input.id));
      await recordAudit({
        ctx,
        tx,
        input: { action: 'peer.delete', resourceType: 'peer', resourceId: input.id, before: auditShape(before) },
      });
      await applyPeers({ tx, network: deps.network, now });
      return toPublicPeer(before);
    }),
  );
}
