import type { PublicAuditEntry } from '../../services/audit/list.ts';
import { Layout, type PageMeta } from '../shared/layout.tsx';

export interface AuditFilters {
  resource_type?: string | undefined;
  resource_id?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

const FILTER_FIELDS: { name: keyof AuditFilters; label: string; hint: string }[] = [
  { name: 'resource_type', label: 'Resource type', hint: 'route, peer, gateway, token, settings, alert_channel…' },
  { name: 'resource_id', label: 'Resource id', hint: 'e.g. 3' },
  { name: 'actor', label: 'Who', hint: 'admin:1, token:5, gateway:2 or system' },
  { name: 'action', label: 'Action', hint: 'e.g. route.update' },
  { name: 'since', label: 'From (ISO time)', hint: '2026-11-21T00:00:00Z' },
  { name: 'until', label: 'Until (ISO time)', hint: '2026-11-22T00:00:00Z' },
];

/** A value as one short line: JSON for everything but plain strings, cut to keep the table readable. */
function show(v: unknown): string {
  if (v === undefined) return '—';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

function Changes({ entry }: { entry: PublicAuditEntry }) {
  if (entry.changes.length === 0) return <span class="muted">no field changes</span>;
  return (
    <details>
      <summary>
        {entry.changes.length} field{entry.changes.length === 1 ? '' : 's'}
      </summary>
      <table class="diff">
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Before</th>
            <th scope="col">After</th>
          </tr>
        </thead>
        <tbody>
          {entry.changes.map((ch) => (
            <tr>
              <td>
                <code>{ch.field}</code>
              </td>
              <td class="before">
                <code>{show(ch.before)}</code>
              </td>
              <td class="after">
                <code>{show(ch.after)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

/** The audit log: filters, then one row per entry with its field-by-field difference. */
export function AuditPage(props: {
  meta: PageMeta;
  entries: PublicAuditEntry[];
  filters: AuditFilters;
  total: number;
  offset: number;
  limit: number;
  error?: string | undefined;
}) {
  const { filters, offset, limit, total } = props;
  const link = (o: number) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
    q.set('offset', String(o));
    return `/audit?${q}`;
  };
  return (
    <Layout meta={props.meta}>
      <h1>Audit log</h1>
      <form method="get" action="/audit" class="card" novalidate>
        <h2>Filter</h2>
        {props.error ? (
          <p class="error" role="alert">
            {props.error}
          </p>
        ) : null}
        <div class="row">
          {FILTER_FIELDS.map((f) => (
            <div class="field">
              <label for={`f-${f.name}`}>{f.label}</label>
              <input id={`f-${f.name}`} name={f.name} value={filters[f.name] ?? ''} maxlength={80} />
              <p class="hint">{f.hint}</p>
            </div>
          ))}
        </div>
        <button type="submit">Show</button>
      </form>
      <p>
        {total} entr{total === 1 ? 'y' : 'ies'}
        {total > 0 ? `, showing ${offset + 1}–${Math.min(offset + limit, total)}` : ''}
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">When (UTC)</th>
            <th scope="col">Who</th>
            <th scope="col">Action</th>
            <th scope="col">Resource</th>
            <th scope="col">From</th>
            <th scope="col">Changes</th>
          </tr>
        </thead>
        <tbody>
          {props.entries.map((e) => (
            <tr id={`audit-${e.id}`}>
              <td>
                <time datetime={e.at}>{e.at.replace('T', ' ').slice(0, 19)}</time>
              </td>
              <td>{e.actor}</td>
              <td>
                <code>{e.action}</code>
              </td>
              <td>{e.resource_type ? `${e.resource_type}${e.resource_id ? ` ${e.resource_id}` : ''}` : '—'}</td>
              <td>{e.ip ?? '—'}</td>
              <td>
                <Changes entry={e} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav aria-label="Pages" class="pager">
        {offset > 0 ? <a href={link(Math.max(0, offset - limit))}>Newer</a> : null}{' '}
        {offset + limit < total ? <a href={link(offset + limit)}>Older</a> : null}
      </nav>
    </Layout>
  );
}
