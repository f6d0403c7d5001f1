import type { HealthReport } from '../../http/types.ts';
import { ago, Badge, Layout, type PageMeta } from '../shared/layout.tsx';
import type { OverviewData } from './data.ts';

const tone = (state: string) =>
  ['ok', 'running', 'up'].includes(state)
    ? 'ok'
    : ['disabled', 'stopped', 'starting'].includes(state)
      ? 'muted'
      : 'bad';

function StateCard({
  title,
  state,
  detail,
  runs,
}: {
  title: string;
  state: string;
  detail?: string | undefined;
  runs?: string | undefined;
}) {
  return (
    <section class="card" aria-label={title}>
      <h2>{title}</h2>
      <p>
        <Badge tone={tone(state)}>{state}</Badge>
      </p>
      {runs ? <p class="runs">{runs}</p> : null}
      {detail ? <p class="hint">{detail}</p> : null}
    </section>
  );
}

/** "wireguard-go v0.0.20250522 (bundled)" or "kernel WireGuard 1.0.0": which implementation and version run. */
export function wireGuardRuns(wg: HealthReport['wireguard']): string | undefined {
  if (wg.implementation === 'kernel') return `kernel WireGuard ${wg.version ?? ''}`.trim();
  if (wg.implementation === 'wireguard-go')
    return `wireguard-go ${wg.version ?? '(version unknown)'}${wg.binary ? ` (${wg.binary.source})` : ''}`;
  if (wg.implementation === 'existing') return 'an existing interface, adopted';
  return undefined;
}

/** Health of the parts, counts, and the latest denials. */
export function Overview({ meta: m, data, gateways }: { meta: PageMeta; data: OverviewData; gateways?: unknown }) {
  const h: HealthReport = data.health;
  const cfg = h.config;
  const attention = data.warnings.length > 0;
  return (
    <Layout meta={m}>
      <div class="page-head">
        <h1>Overview</h1>
        {h.status !== 'ok' ? (
          <Badge tone="bad">Degraded</Badge>
        ) : attention ? (
          <Badge tone="warn">Needs attention</Badge>
        ) : (
          <Badge tone="ok">All systems normal</Badge>
        )}
      </div>
      {attention ? (
        <section class="card warnings" aria-labelledby="warnings-h">
          <h2 id="warnings-h">Needs attention</h2>
          <ul>
            {data.warnings.map((w) => (
              <li id={`warning-${w.id}`}>
                {w.text} <a href={w.href}>{w.fix}</a>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <div class="grid">
        <StateCard
          title="Caddy"
          state={h.caddy.state}
          detail={h.caddy.detail ?? (h.caddy.pid ? `pid ${h.caddy.pid}, ${h.caddy.restarts ?? 0} restarts` : undefined)}
        />
        <StateCard
          title="WireGuard"
          state={h.wireguard.state}
          runs={wireGuardRuns(h.wireguard)}
          detail={h.wireguard.detail ?? h.wireguard.interface}
        />
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
