import type { ServiceContext } from '../../context.ts';
import type { AppDeps } from '../../http/types.ts';
import { type GatewayLiveSource, listGateways } from '../../services/gateways/list.ts';
import { ConfigCell, HealthCell, SeenCell, StatusCell } from './parts/cells.tsx';

/** Whether an agent is connected and when its tunnel last shook hands, from the running process. */
export function liveSource(deps: AppDeps): GatewayLiveSource {
  return {
    isOnline: (id) => deps.gatewaySync?.hub.isOnline(id) ?? false,
    handshakeAt: (publicKey) => deps.peers?.network.latest(publicKey)?.latestHandshake ?? null,
  };
}

/** Gateways the route form offers. */
export async function gatewayChoices(ctx: ServiceContext, deps?: AppDeps): Promise<{ id: number; name: string }[]> {
  const list = await listGateways({
    ctx,
    live: deps ? liveSource(deps) : { isOnline: () => false, handshakeAt: () => null },
  });
  return list.map((g) => ({ id: g.id, name: `${g.name}${g.tunnel_ip ? ` (${g.tunnel_ip})` : ' (no peer yet)'}` }));
}

/** The overview's gateway card. */
export async function gatewaysCard(ctx: ServiceContext, deps: AppDeps) {
  const list = await listGateways({ ctx, live: liveSource(deps) });
  const online = list.filter((g) => g.online).length;
  const drift = list.filter((g) => g.online && g.drift).length;
  return (
    <section class="card" aria-label="Gateways">
      <p class="stat">{list.length}</p>
      <p>
        <a href="/gateways">Gateways</a> · {online} online{drift ? ` · ${drift} behind` : ''}
      </p>
    </section>
  );
}

/** The parts of a gateway that change on their own, by element id; the live stream re-renders exactly these. */
export async function liveFragments(ctx: ServiceContext, deps: AppDeps): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const g of await listGateways({ ctx, live: liveSource(deps) })) {
    out[`gw-${g.id}-status`] = String(await (<StatusCell g={g} />));
    out[`gw-${g.id}-seen`] = String(await (<SeenCell g={g} />));
    out[`gw-${g.id}-config`] = String(await (<ConfigCell g={g} />));
    out[`gw-${g.id}-health`] = String(await (<HealthCell g={g} />));
  }
  return out;
}

/** Every gateway with its live state (for a route's pool members on the route page). */
export async function liveGateways(ctx: ServiceContext, deps: AppDeps) {
  return listGateways({ ctx, live: liveSource(deps) });
}
