import { eq } from 'drizzle-orm';
import { secretBoxFor } from '../../auth/secret-box.ts';
import type { ServiceContext } from '../../context.ts';
import type { Tx } from '../../db/index.ts';
import { peers } from '../../db/schema/index.ts';
import type { NewPeer } from '../../db/schema/peers.ts';
import type { FieldIssue } from '../../errors.ts';
import { generateKeyPair, generatePresharedKey } from '../../wireguard/keys.ts';
import { GATEWAY_KEEPALIVE_SECONDS } from '../peers/create.ts';
import {
  addressIssue,
  allocateAddress,
  assertUnique,
  clientAllowedIps,
  defaultDns,
  expiryIssue,
  subnetOf,
  tunnelModeIssue,
} from '../peers/rules.ts';
import type { CanonicalEntry } from './document.ts';
import type { ParsedConfigFile } from './parse.ts';

/**
 * One peer of the file, created or changed inside the apply transaction with the peer service's rules
 * (src/services/peers/rules.ts). Fields the file leaves out keep their value; a new peer without keys gets a
 * generated pair, without an address the lowest free one.
 */
export async function applyPeerEntry(ctx: ServiceContext, tx: Tx, e: CanonicalEntry, parsed: ParsedConfigFile) {
  const index = parsed.file.peers.findIndex((p) => p.name === e.name);
  const fail = (issues: FieldIssue[]): never =>
    parsed.fail(issues.map((i) => ({ path: ['peers', index, i.field], message: i.message })));
  const now = ctx.now();
  const subnet = subnetOf(ctx.config);
  const [existing] = await tx.select().from(peers).where(eq(peers.name, e.name));
  const expiresAt = e.expires_at === undefined ? undefined : e.expires_at ? new Date(e.expires_at as string) : null;
  const issues = [
    addressIssue(e.address as string | undefined, subnet),
    expiresAt && expiresAt.getTime() !== existing?.expiresAt?.getTime() ? expiryIssue(expiresAt, now) : undefined,
    tunnelModeIssue(
      (e.is_gateway as boolean | undefined) ?? existing?.isGateway ?? false,
      (e.tunnel_mode as 'split' | 'full' | undefined) ?? existing?.tunnelMode ?? 'split',
    ),
  ].filter((i): i is FieldIssue => i !== undefined);
  if (issues.length > 0) fail(issues);

  const box = secretBoxFor(ctx.config);
  const set: Partial<NewPeer> = { updatedAt: now };
  const put = <K extends keyof NewPeer>(key: K, value: NewPeer[K] | undefined) => {
    if (value !== undefined) set[key] = value;
  };
  if (e.public_key !== undefined) {
    put('publicKey', e.public_key as string);
    // A new public key without its private key: the stored private key belonged to the old one.
    if (existing && e.public_key !== existing.publicKey) set.privateKey = null;
  }
  if (e.private_key !== undefined) put('privateKey', box.seal(e.private_key as string));
  put('presharedKey', e.preshared_key as string | null | undefined);
  put('address', e.address as string | undefined);
  put('dns', e.dns as string[] | undefined);
  if (e.allowed_ips !== undefined) put('allowedIps', clientAllowedIps(e.allowed_ips as string[], subnet));
  put('tunnelMode', e.tunnel_mode as 'split' | 'full' | undefined);
  put('persistentKeepalive', e.persistent_keepalive as number | null | undefined);
  put('enabled', e.enabled as boolean | undefined);
  put('expiresAt', expiresAt);
  put('tags', e.tags as string[] | undefined);
  put('isGateway', e.is_gateway as boolean | undefined);
  try {
    await assertUnique(tx, { name: e.name, publicKey: set.publicKey, address: set.address }, existing?.id);
  } catch (err) {
    const field = (err as { details?: { field?: string } }).details?.field ?? 'name';
    fail([{ field, message: (err as Error).message }]);
  }
  if (existing) {
    await tx.update(peers).set(set).where(eq(peers.id, existing.id));
    return;
  }
  if (set.publicKey === undefined) {
    if (set.privateKey !== undefined) fail([{ field: 'public_key', message: 'is required with private_key' }]);
    const keys = generateKeyPair();
    set.publicKey = keys.publicKey;
    set.privateKey = box.seal(keys.privateKey);
  }
  const isGateway = set.isGateway ?? false;
  await tx.insert(peers).values({
    ...set,
    name: e.name,
    publicKey: set.publicKey,
    presharedKey: set.presharedKey === undefined ? generatePresharedKey() : set.presharedKey,
    address: set.address ?? (await allocateAddress(tx, subnet)),
    dns: set.dns ?? defaultDns(ctx.config),
    allowedIps: set.allowedIps ?? clientAllowedIps(undefined, subnet),
    persistentKeepalive:
      set.persistentKeepalive === undefined ? (isGateway ? GATEWAY_KEEPALIVE_SECONDS : null) : set.persistentKeepalive,
    tags: set.tags ?? [],
    createdAt: now,
    updatedAt: now,
  });
}
