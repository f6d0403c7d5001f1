import type { ServiceContext } from '../../context.ts';
import type { PublicGateway } from '../../schemas/gateways.ts';
import { currentVersion } from '../config/version.ts';
import { toPublicGateway } from './public.ts';
import { getGatewayRow, listGatewayRows } from './read.ts';

/** Run-time facts the database does not hold: who is connected, and WireGuard handshakes. */
export interface GatewayLiveSource {
  isOnline(gatewayId: number): boolean;
  handshakeAt(publicKey: string): Date | null;
}

type Row = Awaited<ReturnType<typeof listGatewayRows>>[number];

function present(ctx: ServiceContext, row: Row, live: GatewayLiveSource, version: number): PublicGateway {
  return toPublicGateway(
    row.gateway,
    {
      online: live.isOnline(row.gateway.id),
      tunnelIp: row.tunnelIp,
      handshakeAt: row.publicKey ? live.handshakeAt(row.publicKey) : null,
      currentVersion: version,
    },
    ctx.now(),
  );
}

export async function listGateways({ ctx, live }: { ctx: ServiceContext; live: GatewayLiveSource }) {
  const [rows, version] = await Promise.all([listGatewayRows(ctx.db), currentVersion(ctx.db)]);
  return rows.map((row) => present(ctx, row, live, version));
}

export async function getGateway({
  ctx,
  input,
  live,
}: {
  ctx: ServiceContext;
  input: { id: number };
  live: GatewayLiveSource;
}) {
  const [row, version] = await Promise.all([getGatewayRow(ctx.db, input.id), currentVersion(ctx.db)]);
  return present(ctx, row, live, version);
}
