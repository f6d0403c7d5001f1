import type { Context } from 'hono';
import type { AppDeps } from '../../http/types.ts';
import { DENIAL_ACTIONS, listAudit } from '../../services/audit/list.ts';
import { listPeers } from '../../services/peers/list.ts';
import { offlinePeerDeps } from '../../services/peers/offline.ts';
import { listRoutes } from '../../services/routes/read.ts';
import type { DashEnv } from '../shared/session.ts';

/** What the overview needs, gathered through the same verbs the API uses. */
export async function overviewData(c: Context<DashEnv>, deps: AppDeps) {
  const ctx = c.get('ctx');
  const peerDeps = deps.peers ?? offlinePeerDeps();
  const [health, peers, routes, l4, denials] = await Promise.all([
    deps.health(),
    listPeers({ ctx, deps: peerDeps, input: { limit: 500, offset: 0 } }),
    listRoutes({ ctx, input: { limit: 1, offset: 0 } }),
    listRoutes({ ctx, input: { type: 'l4', limit: 1, offset: 0 } }),
    listAudit({ ctx, input: { actions: DENIAL_ACTIONS, limit: 10 } }),
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
  };
}

export type OverviewData = Awaited<ReturnType<typeof overviewData>>;
