import type { ServiceContext } from '../../context.ts';
import { AppError, NotFoundError } from '../../errors.ts';
import type { LiveConnection } from '../../schemas/connections.ts';
import { recordAudit } from '../audit/record.ts';
import { addressBook, dataPlaneOf } from './live.ts';
import { getRoute } from './read.ts';

type Raw = Omit<LiveConnection, 'peer_id' | 'gateway_id' | 'gateway_name'>;

/**
 * A route's open L4 connections and UDP sessions, from the data plane, with the peer behind a tunnel address and the
 * gateway (pool member) each goes through.
 */
export async function listRouteConnections({ ctx, input }: { ctx: ServiceContext; input: { id: number } }) {
  const route = await getRoute({ ctx, input: { id: input.id } });
  const res = await dataPlaneOf(ctx).connections(String(route.id));
  if (res.status !== 200) throw new AppError('internal', `the data plane answered ${res.status} to connections`);
  const raw = ((res.body as { connections?: Raw[] }).connections ?? []).slice(0, 10_000);
  const book = await addressBook(ctx);
  return raw.map(({ member, ...c }) => ({ ...c, peer_id: book.peerId(c.client), ...book.gateway(member) }));
}

/** Ends one open connection of a route (audit-logged); 404 when it is not open (any more) on that route. */
export async function closeRouteConnection({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { id: number; connection: number };
}) {
  const open = await listRouteConnections({ ctx, input: { id: input.id } });
  const target = open.find((c) => c.id === input.connection);
  if (!target) throw new NotFoundError('open connection on this route', input.connection);
  const status = await dataPlaneOf(ctx).closeConnection(input.connection);
  if (status === 404) throw new NotFoundError('open connection on this route', input.connection);
  if (status !== 204) throw new AppError('internal', `the data plane answered ${status} to closing a connection`);
  await recordAudit({
    ctx,
    tx: ctx.db,
    input: { action: 'route.connection.close', resourceType: 'route', resourceId: input.id, before: target },
  });
}
