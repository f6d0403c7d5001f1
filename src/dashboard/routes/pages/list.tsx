import type { PublicRoute, RouteListQuerySchema } from '../../../schemas/routes.ts';
import { Badge, Layout, type PageMeta, TextField } from '../../shared/layout.tsx';

type RouteQuery = ReturnType<typeof RouteListQuerySchema.parse>;

function target(r: PublicRoute): string {
  if (r.target_kind === 'gateway') return `${r.target_lan_host}:${r.target_lan_port} via gateway ${r.gateway_id}`;
  if (r.target_kind === 'peer') return `peer ${r.peer_id}:${r.target_port}`;
  return `${r.target_host}:${r.target_port}`;
}

function FilterSelect(props: { name: string; label: string; options: [string, string][]; value?: string | undefined }) {
  return (
    <div class="field">
      <label for={`f-${props.name}`}>{props.label}</label>
      <select id={`f-${props.name}`} name={props.name}>
        {props.options.map(([v, l]) => (
          <option value={v} selected={v === (props.value ?? '')}>
            {l}
          </option>
        ))}
      </select>
    </div>
  );
}

/** All routes with filters by name, type, target kind and state. */
export function RoutesPage({
  meta: m,
  query,
  routes,
  total,
}: {
  meta: PageMeta;
  query: RouteQuery;
  routes: PublicRoute[];
  total: number;
}) {
  return (
    <Layout meta={m}>
      <div class="page-head">
        <h1>Routes</h1>
        <a class="button primary" href="/routes/new">
          New route
        </a>
      </div>
      <form method="get" action="/routes" class="filters">
        <TextField name="q" id="f-q" label="Name or domain" type="search" value={query.q ?? ''} />
        <FilterSelect
          name="type"
          label="Type"
          options={[
            ['', 'All'],
            ['http', 'HTTP'],
            ['l4', 'L4'],
          ]}
          value={query.type}
        />
        <FilterSelect
          name="target_kind"
          label="Target"
          options={[
            ['', 'All'],
            ['direct', 'Direct'],
            ['peer', 'Peer'],
            ['gateway', 'Gateway'],
          ]}
          value={query.target_kind}
        />
        <FilterSelect
          name="enabled"
          label="State"
          options={[
            ['', 'All'],
            ['true', 'Enabled'],
            ['false', 'Disabled'],
          ]}
          value={query.enabled}
        />
        <button type="submit">Filter</button>
      </form>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Route</th>
              <th scope="col">Listens on</th>
              <th scope="col" class="opt">
                Target
              </th>
              <th scope="col" class="opt">
                Access
              </th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {routes.length === 0 ? (
              <tr>
                <td colspan={5} class="empty">
                  No routes match. <a href="/routes/new">Create a route</a>.
                </td>
              </tr>
            ) : (
              routes.map((r) => (
                <tr>
                  <td>
                    <a href={`/routes/${r.id}`}>{r.name}</a>{' '}
                    <Badge tone="muted">{r.type === 'l4' ? `L4 ${r.l4_protocol}` : 'HTTP'}</Badge>
                  </td>
                  <td class="mono">
                    {r.type === 'l4' ? `:${r.l4_listen_port}${r.domain ? ` (${r.domain})` : ''}` : r.domain}
                  </td>
                  <td class="opt mono">{target(r)}</td>
                  <td class="opt">
                    {[
                      r.acl_enabled && 'peer ACL',
                      r.ip_filter_enabled && `IP ${r.ip_filter_mode}`,
                      r.rate_limit_enabled && 'rate limit',
                      r.auth_enabled && 'login',
                    ]
                      .filter(Boolean)
                      .join(', ') || '—'}
                  </td>
                  <td>{r.enabled ? <Badge tone="ok">enabled</Badge> : <Badge tone="muted">disabled</Badge>}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      <p class="hint">{total} routes</p>
    </Layout>
  );
}
