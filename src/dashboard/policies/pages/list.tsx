import type { PublicPolicy } from '../../../schemas/policies.ts';
import { Layout, type PageMeta } from '../../shared/layout.tsx';

/** All shared policies with how many routes use each. */
export function PoliciesPage(props: {
  meta: PageMeta;
  policies: PublicPolicy[];
  total: number;
  q?: string | undefined;
}) {
  return (
    <Layout meta={props.meta}>
      <div class="page-head">
        <h1>Policies</h1>
        <a class="button" href="/policies/new">
          New policy
        </a>
      </div>
      <p class="hint">
        Shared access policies: ordered allow/deny rules any number of routes can use. Changing one changes every route
        using it at once.
      </p>
      <form method="get" action="/policies" class="row">
        <div class="field">
          <label for="q">Name contains</label>
          <input id="q" name="q" value={props.q ?? ''} maxlength={64} />
        </div>
        <button type="submit" class="secondary">
          Filter
        </button>
      </form>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Policy</th>
              <th scope="col">Rules</th>
              <th scope="col">Default</th>
              <th scope="col">Rate limit</th>
              <th scope="col">Used by</th>
            </tr>
          </thead>
          <tbody>
            {props.policies.length === 0 ? (
              <tr>
                <td colspan={5} class="empty">
                  {props.q ? 'No policy matches.' : 'No shared policies yet.'}
                </td>
              </tr>
            ) : (
              props.policies.map((p) => (
                <tr>
                  <td>
                    <a href={`/policies/${p.id}`}>{p.name}</a>
                    {p.description ? <p class="hint">{p.description}</p> : null}
                  </td>
                  <td>{p.policy.rules.length}</td>
                  <td>{p.policy.default}</td>
                  <td>
                    {p.policy.rate_limit ? `${p.policy.rate_limit.requests} / ${p.policy.rate_limit.window}` : '—'}
                  </td>
                  <td data-usage={p.route_count}>{p.route_count === 1 ? '1 route' : `${p.route_count} routes`}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      <p class="hint">{props.total === 1 ? '1 policy' : `${props.total} policies`}</p>
    </Layout>
  );
}
