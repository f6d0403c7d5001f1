import { and, eq, ne, or } from 'drizzle-orm';
import type { Config } from '../../config/index.ts';
import type { DbOrTx } from '../../db/index.ts';
import { peers } from '../../db/schema/index.ts';
import { ConflictError, type FieldIssue } from '../../errors.ts';
import type { PeerNetwork } from '../../wireguard/runtime.ts';
import { Subnet } from '../../wireguard/subnet.ts';

/** Peer rules that need the configuration or the database; each failure names its field. */
export function subnetOf(config: Config): Subnet {
  return new Subnet(config.wireguard.address, config.wireguard.prefix);
}

/** What a full-tunnel config routes through the tunnel (IPv4: the tunnel and the server's NAT are IPv4 only). */
export const FULL_TUNNEL = ['0.0.0.0/0'];

/** The split tunnel's networks: the VPN subnet itself first, then the requested ones, each once. */
export function clientAllowedIps(requested: string[] | undefined, subnet: Subnet): string[] {
  return [subnet.cidr, ...new Set((requested ?? []).filter((c) => c !== subnet.cidr))];
}

/** The AllowedIPs line of a peer's config. */
export function configAllowedIps(row: { tunnelMode: 'split' | 'full'; allowedIps: string[] }, subnet: Subnet) {
  return row.tunnelMode === 'full' ? FULL_TUNNEL : clientAllowedIps(row.allowedIps, subnet);
}

/** A gateway sits in a LAN and must keep its own internet: a full tunnel would send all of it to the server. */
export function tunnelModeIssue(isGateway: boolean, mode: 'split' | 'full'): FieldIssue | undefined {
  return isGateway && mode === 'full'
    ? { field: 'tunnel_mode', message: 'a gateway peer is always split tunnel (its LAN keeps its own internet)' }
    : undefined;
}

/** `dns` from GATEHOUSE_WG_DNS ("1.1.1.1, 9.9.9.9"). */
export function defaultDns(config: Config): string[] {
  return config.wireguard.dns
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function addressIssue(address: string | undefined, subnet: Subnet): FieldIssue | undefined {
  if (address === undefined) return undefined;
  const problem = subnet.problemWith(address);
  return problem ? { field: 'address', message: problem } : undefined;
}

export function expiryIssue(expiresAt: Date | null | undefined, now: Date): FieldIssue | undefined {
  if (expiresAt && expiresAt.getTime() <= now.getTime())
    return { field: 'expires_at', message: 'must be in the future' };
  return undefined;
}

/** 409 naming the peer that already has this name, key or address (a nicer answer than the UNIQUE error). */
export async function assertUnique(
  tx: DbOrTx,
  candidate: { name?: string | undefined; publicKey?: string | undefined; address?: string | undefined },
  exceptId?: number,
) {
  const checks = [
    candidate.name !== undefined ? eq(peers.name, candidate.name) : undefined,
    candidate.publicKey !== undefined ? eq(peers.publicKey, candidate.publicKey) : undefined,
    candidate.address !== undefined ? eq(peers.address, candidate.address) : undefined,
  ].filter((c) => c !== undefined);
  if (checks.length === 0) return;
  const others = await tx
    .select({ id: peers.id, name: peers.name, publicKey: peers.publicKey, address: peers.address })
    .from(peers)
    .where(exceptId === undefined ? or(...checks) : and(or(...checks), ne(peers.id, exceptId)));
  for (const other of others) {
    const field =
      other.name === candidate.name ? 'name' : other.publicKey === candidate.publicKey ? 'public_key' : 'address';
    throw new ConflictError(`peer ${other.id} ("${other.name}") already has this ${field.replace('_', ' ')}`, {
      field,
      peer_id: other.id,
    });
  }
}

/** The lowest free address in the subnet, read through the transaction; 409 when the subnet is full. */
export async function allocateAddress(tx: DbOrTx, subnet: Subnet): Promise<string> {
  const used = await tx.select({ address: peers.address }).from(peers);
  const address = subnet.firstFree(used.map((r) => r.address));
  if (!address) {
    throw new ConflictError(
      `the VPN subnet ${subnet.cidr} is full (${subnet.capacity} peers); delete peers or use a larger GATEHOUSE_WG_ADDRESS prefix`,
      {
        field: 'address',
      },
    );
  }
  return address;
}

/** A peer may not use the server's own public key (WireGuard would drop it). Unknown server key: no check. */
export function serverKeyIssue(network: PeerNetwork, publicKey: string | undefined): FieldIssue | undefined {
  if (!publicKey) return undefined;
  let serverKey: string | undefined;
  try {
    serverKey = network.serverPublicKey();
  } catch {
    return undefined;
  }
  return publicKey === serverKey ? { field: 'public_key', message: 'is the server’s own public key' } : undefined;
}
