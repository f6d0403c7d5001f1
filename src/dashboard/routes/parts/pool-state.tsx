import type { PublicGateway } from '../../../schemas/gateways.ts';
import type { PublicRoute } from '../../../schemas/routes.ts';
import { Badge } from '../../shared/layout.tsx';

/**
 * A gateway route's members and how each is doing for this route, from what the agents report: stream up,
 * listener up, target reachable. A member failing any of these is out of the rotation (src/caddy/pool.ts).
 */
export function PoolStateSection({ route, gateways }: { route: PublicRoute; gateways: PublicGateway[] }) {
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
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
