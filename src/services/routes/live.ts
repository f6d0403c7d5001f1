import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { gateways, peers } from '../../db/schema/index.ts';
import { AppError, UnavailableError } from '../../errors.ts';
import type { RecentClient, RouteTraffic } from '../../schemas/connections.ts';
import { getRoute } from './read.ts';

/**
 * What the data plane sees of a route right now (issue 19): the traffic share of each pool member and the recent
 * HTTP clients (caddy-module/traffic.go, clients.go), with the tunnel addresses it reports turned into peers and
 * gateways. Open L4 connections are in connections.ts.
 */

export function dataPlaneOf(ctx: ServiceContext) {
  const dataPlane = ctx.hooks?.dataPlane;
  if (!dataPlane?.available)
    throw new UnavailableError('the data plane (Caddy) is not running; it holds the connections');
  return dataPlane;
}

/** Tunnel address → peer id, and → gateway (a gateway's address is its peer's). */
export async function addressBook(ctx: ServiceContext) {
  const peerRows = await ctx.db.select({ id: peers.id, address: peers.address }).from(peers);
  const gatewayRows = await ctx.db
    .select({ id: gateways.id, name: gateways.name, address: peers.address })
    .from(gateways)
    .innerJoin(peers, eq(peers.id, gateways.peerId));
  const peerOf = new Map(peerRows.map((p) => [p.address, p.id]));
  const gatewayOf = new Map(gatewayRows.map((g) => [g.address, { id: g.id, name: g.name }]));
  return {
    peerId: (address: string) => peerOf.get(address) ?? null,
    /** The gateway fields of a record whose upstream host the data plane named (none: not chosen yet). */
    gateway: (member: string | undefined) => {
      const g = member ? gatewayOf.get(member) : undefined;
      return { ...(member ? { member } : {}), gateway_id: g?.id ?? null, gateway_name: g?.name ?? null };
    },
  };
}

type RawMember = { member: string; connections: number; bytes_in: number; bytes_out: number };

/** A share in percent with one decimal; null when the route has seen nothing yet. */
const share = (part: number, total: number) => (total > 0 ? Math.round((part / total) * 1000) / 10 : null);

/** Each pool member's connections (requests for HTTP) and bytes since the data plane started, with its share. */
export async function getRouteTraffic({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { id: number };
}): Promise<RouteTraffic> {
  const route = await getRoute({ ctx, input: { id: input.id } });
  const res = await dataPlaneOf(ctx).traffic(String(route.id));
  if (res.status !== 200) throw new AppError('internal', `the data plane answered ${res.status} to traffic`);
  const body = res.body as { since?: string; routes?: { route: string; members: RawMember[] }[] };
  const members = (body.routes ?? []).find((r) => r.route === String(route.id))?.members.slice(0, 32) ?? [];
  const conns = members.reduce((n, m) => n + m.connections, 0);
  const bytes = members.reduce((n, m) => n + m.bytes_in + m.bytes_out, 0);
  const book = await addressBook(ctx);
  return {
    since: body.since ?? '',
    members: members.map((m) => ({
      ...book.gateway(m.member),
      member: m.member,
      connections: m.connections,
      bytes_in: m.bytes_in,
      bytes_out: m.bytes_out,
      connection_share: share(m.connections, conns),
      byte_share: share(m.bytes_in + m.bytes_out, bytes),
    })),
  };
}

type RawClient = Omit<RecentClient, 'peer_id' | 'gateway_id' | 'gateway_name'> & { route: string };

/** An HTTP route's most recently seen clients (at most 100), most recent first. */
export async function listRouteClients({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { id: number };
}): Promise<RecentClient[]> {
  const route = await getRoute({ ctx, input: { id: input.id } });
  if (route.type !== 'http') return [];
  const res = await dataPlaneOf(ctx).clients(String(route.id));
  if (res.status !== 200) throw new AppError('internal', `the data plane answered ${res.status} to clients`);
  const raw = ((res.body as { clients?: RawClient[] }).clients ?? []).slice(0, 100);
  const book = await addressBook(ctx);
  return raw.map(({ route: _route, member, ...c }) => ({
    ...c,
    peer_id: book.peerId(c.client),
    ...book.gateway(member),
  }));
}
