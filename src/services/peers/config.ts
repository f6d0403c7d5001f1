import { secretBoxFor } from '../../auth/secret-box.ts';
import type { ServiceContext } from '../../context.ts';
import { ConflictError } from '../../errors.ts';
import { renderClientConf } from '../../wireguard/conf.ts';
import { type QrFormat, renderQr } from '../../wireguard/qr.ts';
import { resolveWgEndpoint, WG_ENDPOINT_UNKNOWN } from '../settings/wg-endpoint.ts';
import type { PeerDeps } from './deps.ts';
import { findPeerRow } from './get.ts';
import { configAllowedIps, subnetOf } from './rules.ts';

/** A name safe for Content-Disposition and for wg-quick (which takes the interface name from the file). */
export function configFilename(name: string): string {
  const base = name
    .replace(/[^A-Za-z0-9_=+.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 15);
  return `${base || 'wg0'}.conf`;
}

/**
 * The peer's wg-quick file. It carries the private key (when the server generated it) and the preshared key:
 * this verb and the QR code are the only ways out for them.
 */
export async function peerConfig({ ctx, deps, input }: { ctx: ServiceContext; deps: PeerDeps; input: { id: number } }) {
  const row = await findPeerRow({ ctx, id: input.id });
  const { effective: endpoint } = await resolveWgEndpoint(ctx);
  if (!endpoint) throw new ConflictError(WG_ENDPOINT_UNKNOWN, { field: 'wg_endpoint' });
  const text = renderClientConf({
    name: row.name,
    privateKey: secretBoxFor(ctx.config).openNullable(row.privateKey),
    address: row.address,
    dns: row.dns,
    presharedKey: row.presharedKey,
    allowedIps: configAllowedIps(row, subnetOf(ctx.config)),
    persistentKeepalive: row.persistentKeepalive,
    serverPublicKey: deps.network.serverPublicKey(),
    endpoint,
  });
  return { filename: configFilename(row.name), text };
}

export async function peerQr({
  ctx,
  deps,
  input,
}: {
  ctx: ServiceContext;
  deps: PeerDeps;
  input: { id: number; format: QrFormat };
}) {
  const { text } = await peerConfig({ ctx, deps, input });
  return renderQr(text, input.format);
}
