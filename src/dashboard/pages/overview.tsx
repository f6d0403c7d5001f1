import type { Context } from 'hono';
import type { AppDeps, HealthReport } from '../../http/types.ts';
import { DENIAL_ACTIONS, listAudit } from '../../services/audit/list.ts';
import { listPeers } from '../../services/peers/list.ts';
import { offlinePeerDeps } from '../../services/peers/offline.ts';
import { listRoutes } from '../../services/routes/read.ts';
import { ago, Badge, Layout, type PageMeta } from '../layout.tsx';
import { meta, page } from '../render.ts';
import type { DashEnv } from '../session.ts';

const tone = (state: string) =>
  ['ok', 'running', 'up'].includes(state)
    ? 'ok'
    : ['disabled', 'stopped', 'starting'].includes(state)
      ? 'muted'
      : 'bad';

function StateCard({ title, state, detail }: { title: string; state: string; detail?: string | undefined }) {
  return (
    <section class="card" aria-label={title}>
      <h2>{title}</h2>
      <p>
        <Badge tone={tone(state)}>{state}</Badge>
      </p>
      {detail ? <p class="hint">{detail}</p> : null}
    </section>
  );
}

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

function Overview({
  meta: m,
  data,
  gateways,
}: {
  meta: PageMeta;
  data: Awaited<ReturnType<typeof overviewData>>;
  gateways?: unknown;
}) {
  const h: HealthReport = data.health;
  const cfg = h.config;
  return (
    <Layout meta={m}>
      <div class="page-head">
        <h1>Overview</h1>
        <Badge tone={h.status === 'ok' ? 'ok' : 'bad'}>{h.status === 'ok' ? 'All systems normal' : 'Degraded'}</Badge>
      </div>
      <div class="grid">
        <StateCard
          title="Caddy"
          state={h.caddy.state}
          detail={h.caddy.detail ?? (h.caddy.pid ? `pid ${h.caddy.pid}, ${h.caddy.restarts ?? 0} restarts` : undefined)}
        />
        <StateCard title="WireGuard" state={h.wireguard.state} detail={h.wireguard.detail ?? h.wireguard.interface} />
        <StateCard title="Database" state={h.db.state} detail={h.db.error} />
        <section class="card" aria-label="Configuration">
          <h2>Configuration</h2>
          {cfg ? (
            <p>
              Version {cfg.version}{' '}
              {cfg.pending ? <Badge tone="warn">applying</Badge> : <Badge tone="ok">applied</Badge>}
            </p>
          ) : (
            <p class="muted">not tracked</p>
          )}
        </section>
      </div>
      <h2 class="section-title">Counts</h2>
      <div class="grid">
        <section class="card" aria-label="Peers">
          <p class="stat">{data.peers.total}</p>
          <p>
            <a href="/peers">Peers</a> · {data.peers.online} online · {data.peers.enabled} enabled
          </p>
        </section>
        <section class="card" aria-label="Routes">
          <p class="stat">{data.routes.total}</p>
          <p>
            <a href="/routes">Routes</a> · {data.routes.http} HTTP · {data.routes.l4} L4
          </p>
        </section>
        {gateways ?? null}
      </div>
      <section class="card" aria-labelledby="denials-h">
        <h2 id="denials-h">Recent denials and errors</h2>
        {data.denials.length === 0 ? (
          <p class="muted">Nothing recent: no failed logins.</p>
        ) : (
          <ul class="events">
            {data.denials.map((d) => (
              <li>
                <Badge tone="bad">
                  {d.action === 'route_auth.failed' ? 'route login failed' : 'admin login failed'}
                </Badge>
                <span>{String(d.detail?.username ?? d.resource_id ?? '')}</span>
                <span class="muted">{d.detail?.reason ? String(d.detail.reason).replace(/_/g, ' ') : ''}</span>
                <span class="muted">{d.ip ? `from ${d.ip}` : ''}</span>
                <time class="muted" datetime={d.at}>
                  {ago(d.at)}
                </time>
              </li>
            ))}
          </ul>
        )}
      </section>
    </Layout>
  );
}

export async function overviewPage(c: Context<DashEnv>, deps: AppDeps, gateways?: unknown) {
  const data = await overviewData(c, deps);
  return page(c, <Overview meta={meta(c, 'Overview')} data={data} gateways={gateways} />);
}
