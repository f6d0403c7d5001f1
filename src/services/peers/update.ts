import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { withWriteRetry } from '../../db/retry.ts';
import { type Peer, peers } from '../../db/schema/index.ts';
import { type FieldIssue, NotFoundError, ValidationError } from '../../errors.ts';
import type { UpdatePeerInput } from '../../schemas/peers.ts';
import { recordAudit } from '../audit/record.ts';
import { applyPeers, isActive } from './apply.ts';
import type { PeerDeps } from './deps.ts';
import { auditShape, toPublicPeer } from './public.ts';
import {
  addressIssue,
  assertUnique,
  clientAllowedIps,
  expiryIssue,
  serverKeyIssue,
  subnetOf,
  tunnelModeIssue,
} from './rules.ts';

/**
 * Partial update. A peer that leaves the interface (disabled, or given an expiry in the past) is removed
 * from it and from every route ACL (the peerRemoved hooks) in the same transaction.
 */
export async function updatePeer({
  ctx,
  deps,
  input,
}: {
  ctx: ServiceContext;
  deps: PeerDeps;
  input: { id: number; changes: UpdatePeerInput };
}) {
  const now = ctx.now();
  const subnet = subnetOf(ctx.config);
  const { id, changes } = input;
  const expiresAt =
    changes.expires_at === undefined ? undefined : changes.expires_at ? new Date(changes.expires_at) : null;
  const issues = [
    addressIssue(changes.address, subnet),
    expiryIssue(expiresAt, now),
    serverKeyIssue(deps.network, changes.public_key),
  ].filter((i): i is FieldIssue => i !== undefined);
  if (issues.length > 0) throw new ValidationError(issues);

  return withWriteRetry(() =>
    ctx.db.transaction(async (tx) => {
      const [before] = await tx.select().from(peers).where(eq(peers.id, id));
      if (!before) throw new NotFoundError('peer', id);
      // Re-enabling a peer whose expiry has passed would only have the job disable it again.
      if (
        changes.enabled === true &&
        expiresAt === undefined &&
        !isActive({ enabled: true, expiresAt: before.expiresAt }, now)
      ) {
        throw new ValidationError([
          { field: 'expires_at', message: 'has passed; set a later expiry (or null) to enable this peer' },
        ]);
      }
      const modeIssue = tunnelModeIssue(
        changes.is_gateway ?? before.isGateway,
        changes.tunnel_mode ?? (changes.is_gateway ? 'split' : before.tunnelMode),
      );
      if (modeIssue) throw new ValidationError([modeIssue]);
      await assertUnique(tx, { name: changes.name, publicKey: changes.public_key, address: changes.address }, id);
      const set: Partial<Peer> = { updatedAt: now };
      if (changes.name !== undefined) set.name = changes.name;
      if (changes.public_key !== undefined && changes.public_key !== before.publicKey) {
        set.publicKey = changes.public_key;
        set.privateKey = null; // the stored private key belongs to the old pair
      }
      if (changes.preshared_key !== undefined) set.presharedKey = changes.preshared_key;
      if (changes.address !== undefined) set.address = changes.address;
      if (changes.dns !== undefined) set.dns = changes.dns;
      if (changes.allowed_ips !== undefined) set.allowedIps = clientAllowedIps(changes.allowed_ips, subnet);
      if (changes.persistent_keepalive !== undefined) set.persistentKeepalive = changes.persistent_keepalive || null;
      if (changes.enabled !== undefined) set.enabled = changes.enabled;
      if (expiresAt !== undefined) set.expiresAt = expiresAt;
      if (changes.tags !== undefined) set.tags = changes.tags;
      if (changes.is_gateway !== undefined) set.isGateway = changes.is_gateway;
      if (changes.tunnel_mode !== undefined) set.tunnelMode = changes.tunnel_mode;
      // A peer that becomes a gateway leaves the full tunnel (gateways are always split).
      else if (changes.is_gateway === true) set.tunnelMode = 'split';

      const [after] = await tx.update(peers).set(set).where(eq(peers.id, id)).returning();
      await recordAudit({
        ctx,
        tx,
        input: {
          action: 'peer.update',
          resourceType: 'peer',
          resourceId: id,
          before: auditShape(before),
          after: auditShape(after!),
        },
      });
      if (isActive(before, now) && !isActive(after!, now)) {
        await deps.hooks.peerRemoved(tx, { peerIds: [id], reason: 'disabled' });
      } else if (
        before.address !== after!.address ||
        // the name is the VPN client's Remote-User/Remote-Name (the snapshot's peer table)
        before.name !== after!.name ||
        isActive(before, now) !== isActive(after!, now) ||
        JSON.stringify(before.tags) !== JSON.stringify(after!.tags)
      ) {
        await deps.hooks.peerChanged(tx, { peerIds: [id], change: 'updated' });
      }
      await applyPeers({ tx, network: deps.network, now });
      return toPublicPeer(after!);
    }),
  );
}
