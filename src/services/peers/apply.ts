import { and, asc, eq, gt, isNull, or } from 'drizzle-orm';
import type { DbOrTx } from '../../db/index.ts';
import { peers } from '../../db/schema/index.ts';
import { UnavailableError } from '../../errors.ts';
import type { ServerPeerSpec } from '../../wireguard/conf.ts';
import type { PeerNetwork } from '../../wireguard/runtime.ts';

/**
 * Puts the interface in line with the database: every enabled, unexpired peer, nothing else (`wg syncconf`).
 * Verbs call it inside their transaction after writing, reading through the same handle, so what is applied
 * is exactly what is about to commit; if WireGuard refuses, the error rolls the change back. Writers are
 * serialised by the database's write lock, so the last commit is also the last apply.
 */
export async function applyPeers({ tx, network, now }: { tx: DbOrTx; network: PeerNetwork; now: Date }) {
  if (!network.isUp()) return;
  const rows = await activePeerSpecs({ tx, now });
  try {
    await network.apply(rows);
  } catch (err) {
    throw new UnavailableError(`WireGuard did not accept the change, nothing was saved: ${(err as Error).message}`);
  }
}

/** Is this peer on the interface (enabled and not expired)? */
export function isActive(row: { enabled: boolean; expiresAt: Date | null }, now: Date): boolean {
  return row.enabled && (row.expiresAt === null || row.expiresAt.getTime() > now.getTime());
}

/** What the interface should carry: every enabled, unexpired peer, in id order, and which are full tunnel. */
export async function activePeerSpecs({ tx, now }: { tx: DbOrTx; now: Date }): Promise<ServerPeerSpec[]> {
  const rows = await tx
    .select({
      publicKey: peers.publicKey,
      presharedKey: peers.presharedKey,
      address: peers.address,
      tunnelMode: peers.tunnelMode,
    })
    .from(peers)
    .where(and(eq(peers.enabled, true), or(isNull(peers.expiresAt), gt(peers.expiresAt, now))))
    .orderBy(asc(peers.id));
  return rows.map(({ tunnelMode, ...spec }) => ({ ...spec, fullTunnel: tunnelMode === 'full' }));
}
