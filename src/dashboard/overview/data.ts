import type { Context } from 'hono';
import type { AppDeps } from '../../http/types.ts';
import { DENIAL_ACTIONS, listAudit } from '../../services/audit/list.ts';
import { listPeers } from '../../services/peers/list.ts';
import { offlinePeerDeps } from '../../services/peers/offline.ts';
import { listRoutes } from '../../services/routes/read.ts';
import { resolveWgEndpoint } from '../../services/settings/wg-endpoint.ts';
import type { DashEnv } from '../shared/session.ts';

/** What the overview needs, gathered through the same verbs the API uses. */
export async function overviewData(c: Context<DashEnv>, deps: AppDeps) {
  const ctx = c.get('ctx');
  const peerDeps = deps.peers ?? offlinePeerDeps();
  const [health, peers, routes, l4, denials, endpoint] = await Promise.all([
    deps.health(),
    listPeers({ ctx, deps: peerDeps, input: { limit: 500, offset: 0 } }),
    listRoutes({ ctx, input: { limit: 1, offset: 0 } }),
    listRoutes({ ctx, input: { type: 'l4', limit: 1, offset: 0 } }),
    listAudit({ ctx, input: { actions: DENIAL_ACTIONS, limit: 10 } }),
    resolveWgEndpoint(ctx),
  ]);
  return {
    health,
    peers: {
      total: peers.pagination.total,
      enabled: peers.data.filter((p) => p.enabled).length,
      online: peers.data.filter((p) => p.stats?.online).length,
    },
    routes: {
      total: routes.pagination.total,
      l4: l4.pagination.total,
      http: routes.pagination.total - l4.pagination.total,
    },
    denials,
    warnings: overviewWarnings({ endpoint: endpoint.effective, forwarding: health.wireguard.forwarding }),
  };
}

export type OverviewData = Awaited<ReturnType<typeof overviewData>>;

/** Something the admin must fix though every process runs: each names the fix and links to where it is made. */
export interface OverviewWarning {
  id: string;
  text: string;
  fix: string;
  href: string;
}

export function overviewWarnings(state: {
  endpoint: string | null;
  forwarding?: { state: string; detail?: string | undefined } | undefined;
}): OverviewWarning[] {
  const warnings: OverviewWarning[] = [];
  if (!state.endpoint) {
    warnings.push({
      id: 'wg-endpoint',
      text: 'The WireGuard endpoint is not set: no peer can download a config or QR code.',
      fix: 'Set the WireGuard endpoint',
      href: '/settings#wg-endpoint',
    });
  }
  if (state.forwarding?.state === 'error') {
    warnings.push({
      id: 'forwarding',
      text: `Full-tunnel peers have no internet: ${state.forwarding.detail ?? 'forwarding could not be set up'}`,
      fix: 'See the full-tunnel peers',
      href: '/peers',
    });
  }
  return warnings;
}
