import { secretBoxFor } from '../../auth/secret-box.ts';
import type { ServiceContext } from '../../context.ts';
import { isUniqueViolation, withWriteRetry } from '../../db/retry.ts';
import { peers } from '../../db/schema/index.ts';
import { type FieldIssue, ValidationError } from '../../errors.ts';
import type { CreatePeerInput } from '../../schemas/peers.ts';
import { generateKeyPair, generatePresharedKey } from '../../wireguard/keys.ts';
import { recordAudit } from '../audit/record.ts';
import { applyPeers } from './apply.ts';
import type { PeerDeps } from './deps.ts';
import { auditShape, toPublicPeer } from './public.ts';
import {
  addressIssue,
  allocateAddress,
  assertUnique,
  clientAllowedIps,
  defaultDns,
  expiryIssue,
  serverKeyIssue,
  subnetOf,
  tunnelModeIssue,
} from './rules.ts';

export const GATEWAY_KEEPALIVE_SECONDS = 25;

/**
 * Creates a peer: keys generated here (unless the user brought a public key), the lowest free address
 * allocated inside the transaction, the interface updated before commit. Two creates racing for the same
 * address cannot both win (UNIQUE on address); the loser retries and gets the next one.
 */
export async function createPeer({
  ctx,
  deps,
  input,
}: {
  ctx: ServiceContext;
  deps: PeerDeps;
  input: CreatePeerInput;
}) {
  const now = ctx.now();
  const subnet = subnetOf(ctx.config);
  const expiresAt = input.expires_at ? new Date(input.expires_at) : null;
  const issues = [
    addressIssue(input.address, subnet),
    expiryIssue(expiresAt, now),
    serverKeyIssue(deps.network, input.public_key),
    tunnelModeIssue(input.is_gateway, input.tunnel_mode ?? 'split'),
  ].filter((i): i is FieldIssue => i !== undefined);
  if (issues.length > 0) throw new ValidationError(issues);

  const keys = input.public_key ? { publicKey: input.public_key, privateKey: null } : generateKeyPair();
  const presharedKey = input.preshared_key === undefined ? generatePresharedKey() : input.preshared_key;
  const keepalive =
    input.persistent_keepalive === undefined
      ? input.is_gateway
        ? GATEWAY_KEEPALIVE_SECONDS
        : null
      : input.persistent_keepalive || null;

  return withWriteRetry(
    () =>
      ctx.db.transaction(async (tx) => {
        await assertUnique(tx, { name: input.name, publicKey: keys.publicKey, address: input.address });
        const address = input.address ?? (await allocateAddress(tx, subnet));
        const [row] = await tx
          .insert(peers)
          .values({
            name: input.name,
            publicKey: keys.publicKey,
            privateKey: secretBoxFor(ctx.config).sealNullable(keys.privateKey),
            presharedKey,
            address,
            dns: input.dns ?? defaultDns(ctx.config),
            allowedIps: clientAllowedIps(input.allowed_ips, subnet),
            tunnelMode: input.tunnel_mode ?? 'split',
            persistentKeepalive: keepalive,
            enabled: input.enabled,
            expiresAt,
            tags: input.tags,
            isGateway: input.is_gateway,
            createdAt: now,
            updatedAt: now,
          })
          .returning();
        await recordAudit({
          ctx,
          tx,
          input: { action: 'peer.create', resourceType: 'peer', resourceId: row!.id, after: auditShape(row!) },
        });
        await deps.hooks.peerChanged(tx, { peerIds: [row!.id], change: 'created' });
        await applyPeers({ tx, network: deps.network, now });
        return toPublicPeer(row!);
      }),
    // An allocated address taken by a concurrent create: run again and allocate afresh.
    { retryAlso: (err) => input.address === undefined && isUniqueViolation(err, 'peers.address') },
  );
}
