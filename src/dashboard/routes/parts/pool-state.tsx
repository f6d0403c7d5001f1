import type { RouteTraffic } from '../../../schemas/connections.ts';
import type { PublicGateway } from '../../../schemas/gateways.ts';
import type { PublicRoute } from '../../../schemas/routes.ts';
import { Badge, formatBytes } from '../../shared/layout.tsx';

/**
 * A gateway route's members and how each is doing for this route, from what the agents report: stream up,
 * listener up, target reachable. A member failing any of these is out of the rotation (src/caddy/pool.ts). Its
 * share: of the route's connections (requests for HTTP) and bytes since the data plane started, as the data plane
 * counted them per upstream (caddy-module/traffic.go); absent when the data plane could not be asked.
 */
export function PoolStateSection({
  route,
  gateways,
  traffic,
}: {
  route: PublicRoute;
  gateways: PublicGateway[];
  traffic?: RouteTraffic | undefined;
}) {
  if (route.target_kind !== 'gateway' || route.gateway_id === null || !route.target_lan_host) return null;
  const members = [
    { gateway_id: route.gateway_id, target_lan_host: route.target_lan_host, target_lan_port: route.target_lan_port },
    ...(route.pool?.members ?? []),
  ];
  return (
    <section class="card" aria-labelledby="pool-h">
      <h2 id="pool-h">Gateways</h2>
      {route.pool ? (
        <p class="hint">
          {route.pool.mode === 'failover' ? 'Failover in this order' : `Balanced (${route.pool.balance})`}; back in the
          rotation after {route.pool.healthy_after} good checks.
        </p>
      ) : null}
      <table>
        <thead>
          <tr>
            <th>#</th>
            <th>Gateway</th>
            <th>LAN target</th>
            <th>State</th>
            <th>{route.type === 'http' ? 'Requests' : 'Connections'}</th>
            <th>Bytes</th>
          </tr>
        </thead>
        <tbody>
          {members.map((m, i) => {
            const g = gateways.find((x) => x.id === m.gateway_id);
            const listener = g?.listeners.find((l) => l.route_id === route.id);
            const target = g?.targets.find((t) => t.route_id === route.id);
            const problem = !g
              ? 'gateway missing'
              : !g.online
                ? 'offline'
                : listener?.state === 'failed'
                  ? `listener failed${listener.error ? `: ${listener.error}` : ''}`
                  : target && !target.reachable
                    ? `target unreachable${target.error ? `: ${target.error}` : ''}`
                    : undefined;
            return (
              <tr>
                <td>{i + 1}</td>
                <td>{g ? <a href={`/gateways/${g.id}`}>{g.name}</a> : `gateway ${m.gateway_id}`}</td>
                <td>
                  {m.target_lan_host}:{m.target_lan_port}
                </td>
                <td>{problem ? <Badge tone="bad">out: {problem}</Badge> : <Badge tone="ok">in rotation</Badge>}</td>
                <ShareCells counted={traffic?.members.find((t) => t.gateway_id === m.gateway_id)} />
              </tr>
            );
          })}
        </tbody>
      </table>
      {traffic ? (
        <p class="hint">Shares since the data plane started ({traffic.since.replace('T', ' ').slice(0, 19)} UTC).</p>
      ) : null}
    </section>
  );
}

const percent = (share: number | null | undefined) => (share === null || share === undefined ? '—' : `${share} %`);

/** One member's share cells; a member the data plane has not used yet shows 0. */
function ShareCells({ counted }: { counted?: RouteTraffic['members'][number] | undefined }) {
  return (
    <>
      <td data-share="connections">
        {percent(counted ? counted.connection_share : null)} ({counted?.connections ?? 0})
      </td>
      <td data-share="bytes">
        {percent(counted ? counted.byte_share : null)} (
        {formatBytes((counted?.bytes_in ?? 0) + (counted?.bytes_out ?? 0))})
      </td>
    </>
  );
}
