import type { RouteTraffic } from '../../../schemas/connections.ts';
import type { PublicGateway } from '../../../schemas/gateways.ts';
import type { PublicRoute } from '../../../schemas/routes.ts';
import type { Form, FormErrors } from '../../shared/forms.ts';
import { Badge, Layout, type PageMeta } from '../../shared/layout.tsx';
import { ExplainBox, type ExplainOutcome, type RouteExplainQuestion } from '../parts/explain.tsx';
import { LivePanel, type LiveView } from '../parts/live-panel.tsx';
import { PoolStateSection } from '../parts/pool-state.tsx';
import { RouteForm } from '../parts/route-form.tsx';
import { type RouteUsersProps, RouteUsersSection } from '../parts/route-users.tsx';
import type { RouteFormOptions } from '../values.ts';

/** A new route's form, or an existing route's: its form, the explain box and the delete button. */
export function RouteEditPage(props: {
  meta: PageMeta;
  route?: PublicRoute | undefined;
  values: Form;
  errors?: FormErrors | undefined;
  options: RouteFormOptions;
  explain?: { question: RouteExplainQuestion; result: ExplainOutcome } | undefined;
  /** The route's users section (HTTP routes only). */
  users?: RouteUsersProps | undefined;
  /** Gateways with their live state, for a gateway route's members. */
  gateways?: PublicGateway[] | undefined;
  /** Each pool member's share of the traffic, when the data plane could say. */
  traffic?: RouteTraffic | undefined;
  /** Open connections or recent clients, from the data plane. */
  live?: LiveView | undefined;
}) {
  const { meta: m, route } = props;
  return (
    <Layout meta={m}>
      <div class="page-head">
        <h1>{m.title}</h1>
        {route ? <Badge tone="muted">route {route.id}</Badge> : null}
      </div>
      <RouteForm meta={m} route={route} values={props.values} errors={props.errors} options={props.options} />
      {route && props.gateways ? (
        <PoolStateSection route={route} gateways={props.gateways} traffic={props.traffic} />
      ) : null}
      {route && props.live ? <LivePanel routeId={route.id} view={props.live} /> : null}
      {route && props.users ? <RouteUsersSection meta={m} route={route} {...props.users} /> : null}
      {route ? (
        <section class="card" aria-labelledby="traffic-h">
          <h2 id="traffic-h">Traffic, last hour</h2>
          {(['requests', 'denied', 'bytes'] as const).map((metric) => (
            <img src={`/access-log/routes/${route.id}/${metric}.svg`} alt={`${metric} per minute, last hour`} />
          ))}
          <p>
            <a href={`/access-log?route=${route.id}`}>This route's access log</a>
          </p>
        </section>
      ) : null}
      {route ? (
        <ExplainBox
          routeId={route.id}
          http={route.type === 'http'}
          question={props.explain?.question ?? { ip: '', at: '', method: '', path: '' }}
          result={props.explain?.result}
        />
      ) : null}
      {route ? (
        <section class="card" aria-labelledby="delete-h">
          <h2 id="delete-h">Delete</h2>
          <a class="button danger" href={`/routes/${route.id}/delete`}>
            Delete this route…
          </a>
        </section>
      ) : null}
    </Layout>
  );
}
