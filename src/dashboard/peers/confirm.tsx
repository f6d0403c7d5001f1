import type { Context } from 'hono';
import { listGateways } from '../../services/gateways/list.ts';
import type { PeerDeps } from '../../services/peers/deps.ts';
import { getPeer } from '../../services/peers/get.ts';
import { allRoutes, routeLabel } from '../shared/all-routes.ts';
import { ConfirmPage, count } from '../shared/confirm.tsx';
import { meta, page } from '../shared/render.ts';
import type { DashEnv } from '../shared/session.ts';

const names = (labels: string[]) => (labels.length > 5 ? `${labels.slice(0, 5).join(', ')}, …` : labels.join(', '));

/** "Delete peer?": the tunnel it loses, the route ACLs it leaves, the routes and gateways that depend on it. */
export async function confirmPeerDelete(c: Context<DashEnv>, peerDeps: PeerDeps, id: number) {
  const ctx = c.get('ctx');
  const peer = await getPeer({ ctx, deps: peerDeps, input: { id } });
  const routes = await allRoutes(ctx);
  const inAcl = routes.filter((r) => r.acl_peers.includes(id));
  const targets = routes.filter((r) => r.target_kind === 'peer' && r.peer_id === id);
  const gateways = (await listGateways({ ctx, live: { isOnline: () => false, handshakeAt: () => null } })).filter(
    (g) => g.peer_id === id,
  );
  const lines = [
    `${peer.name} (${peer.address}) leaves the WireGuard interface at once; its config file and QR code stop working.`,
  ];
  lines.push(
    inAcl.length
      ? `This peer is in the ACL of ${count(inAcl.length, 'route')}: ${names(inAcl.map(routeLabel))}. It loses access there.`
      : 'This peer is in no route ACL.',
  );
  if (targets.length)
    lines.push(
      `${count(targets.length, 'route')} send traffic to this peer and stop working: ${names(targets.map(routeLabel))}.`,
    );
  if (gateways.length)
    lines.push(
      `${count(gateways.length, 'gateway')} reach the server through this peer and go offline: ${names(gateways.map((g) => g.name))}.`,
    );
  return page(
    c,
    <ConfirmPage
      meta={meta(c, `Delete peer ${peer.name}?`, '/peers')}
      action={`/peers/${id}/delete`}
      verb={`Delete ${peer.name}`}
      consequences={lines}
      cancelHref={`/peers/${id}`}
    />,
  );
}
