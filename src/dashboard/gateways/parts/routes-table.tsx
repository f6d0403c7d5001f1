import type { PublicGateway } from '../../../schemas/gateways.ts';
import type { PublicRoute } from '../../../schemas/routes.ts';
import { Badge } from '../../shared/layout.tsx';

/** The routes through one gateway, with what its agent reports for each: the listener and the target's health. */
export function GatewayRoutesTable({ g, routes }: { g: PublicGateway; routes: PublicRoute[] }) {
  if (routes.length === 0) {
    return (
      <p class="muted">
        None yet. <a href="/routes/new">Create a route</a> with the target “A LAN host behind a gateway”.
      </p>
    );
  }
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Route</th>
            <th scope="col">LAN target</th>
            <th scope="col">Listener</th>
            <th scope="col">Target</th>
          </tr>
        </thead>
        <tbody>
          {routes.map((r) => {
            const listener = g.listeners.filter((l) => l.route_id === r.id);
            const target = g.targets.find((t) => t.route_id === r.id);
            return (
              <tr>
                <td>
                  <a href={`/routes/${r.id}`}>{r.name}</a>
                </td>
                <td class="mono">
                  {r.target_lan_host}:{r.target_lan_port}
                </td>
                <td>
                  {listener.length === 0 ? (
                    <span class="muted">not reported</span>
                  ) : (
                    listener.map((l) => (
                      <Badge tone={l.state === 'listening' ? 'ok' : l.state === 'failed' ? 'bad' : 'muted'}>
                        {l.protocol}/{l.port} {l.state}
                        {l.error ? `: ${l.error}` : ''}
                      </Badge>
                    ))
                  )}
                </td>
                <td>
                  {target ? (
                    <Badge tone={target.reachable ? 'ok' : 'bad'}>
                      {target.reachable
                        ? `reachable${target.latency_ms !== undefined ? `, ${Math.round(target.latency_ms)} ms` : ''}`
                        : `down${target.error ? `: ${target.error}` : ''}`}
                    </Badge>
                  ) : (
                    <span class="muted">not reported</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
