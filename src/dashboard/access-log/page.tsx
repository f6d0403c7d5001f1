import type { AccessLogEntry, AccessLogFilter } from '../../schemas/access-log.ts';
import { Layout, type PageMeta } from '../shared/layout.tsx';

/** The query string of a filter (for the export links, the live tail and the next page). */
export function filterQuery(f: Record<string, unknown>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined || v === null || v === '') continue;
    q.set(k, v instanceof Date ? v.toISOString() : String(v));
  }
  return q.toString();
}

function Field({ name, label, value, hint }: { name: string; label: string; value: string; hint?: string }) {
  return (
    <label>
      {label}
      <input name={name} value={value} placeholder={hint} />
    </label>
  );
}

/**
 * The log viewer: filters (a GET form, so a filtered view is a link), the newest entries, a page of older ones,
 * the export links and a live tail of entries matching the same filters (assets/app.js).
 */
export function AccessLogPage(props: {
  meta: PageMeta;
  filter: AccessLogFilter;
  /** What the form shows: the typed values, also when they were refused. */
  typed: Record<string, string>;
  errors: { field: string; message: string }[];
  entries: AccessLogEntry[];
  nextBefore: number | null;
}) {
  const { typed: t, filter } = props;
  const q = filterQuery(filter);
  return (
    <Layout meta={props.meta}>
      <h1>Access log</h1>
      <form method="get" action="/access-log" class="card filters" aria-label="Filters">
        <Field name="route" label="Route id" value={t.route ?? ''} />
        <Field name="address" label="Client address" value={t.address ?? ''} />
        <label>
          Decision
          <select name="decision">
            <option value="">any</option>
            <option value="allow" selected={t.decision === 'allow'}>
              allow
            </option>
            <option value="deny" selected={t.decision === 'deny'}>
              deny
            </option>
          </select>
        </label>
        <Field name="check" label="Check" value={t.check ?? ''} hint="rule, default, rate_limit" />
        <Field name="rule" label="Rule (exact text)" value={t.rule ?? ''} />
        <Field name="from" label="From" value={t.from ?? ''} hint="2026-11-21T12:00:00Z" />
        <Field name="to" label="Until" value={t.to ?? ''} />
        <button type="submit">Filter</button>
      </form>
      {props.errors.length > 0 ? (
        <div class="flash error" role="alert">
          {props.errors.map((e) => (
            <p>
              {e.field}: {e.message}
            </p>
          ))}
        </div>
      ) : null}
      <p>
        Export: <a href={`/api/v1/access-log/export?${filterQuery({ ...filter, format: 'csv' })}`}>CSV</a> ·{' '}
        <a href={`/api/v1/access-log/export?${filterQuery({ ...filter, format: 'json' })}`}>JSON</a>
      </p>
      <section class="card" aria-labelledby="live-h">
        <h2 id="live-h">Live</h2>
        <p class="muted">New entries matching the filters appear here while this page is open.</p>
        <table class="log">
          <tbody id="live-tail" data-log-stream={`/api/v1/access-log/stream?${q}`} />
        </table>
      </section>
      <table class="log">
        <thead>
          <tr>
            <th>Time</th>
            <th>Route</th>
            <th>Client</th>
            <th>Decision</th>
            <th>Check / rule</th>
            <th>Request</th>
            <th>Status</th>
            <th>Bytes in/out</th>
            <th>ms</th>
          </tr>
        </thead>
        <tbody>
          {props.entries.map((e) => (
            <tr class={e.decision === 'deny' ? 'denied' : undefined}>
              <td class="mono">{e.at}</td>
              <td>{e.route_id ?? ''}</td>
              <td class="mono">
                {e.client}
                {e.peer_id ? ` (peer ${e.peer_id})` : ''}
                {e.country ? ` ${e.country}` : ''}
                {e.user ? ` · ${e.user}` : ''}
              </td>
              <td>{e.decision}</td>
              <td>
                {e.check ?? ''} {e.rule ?? ''}
              </td>
              <td class="mono">{e.kind === 'http' ? `${e.method ?? ''} ${e.host ?? ''}${e.path ?? ''}` : e.kind}</td>
              <td>{e.status ?? ''}</td>
              <td>
                {e.bytes_in}/{e.bytes_out}
              </td>
              <td>{e.duration_ms}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.entries.length === 0 ? <p class="muted">No entries.</p> : null}
      {props.nextBefore ? (
        <a href={`/access-log?${filterQuery({ ...filter, before: props.nextBefore })}`}>Older entries</a>
      ) : null}
    </Layout>
  );
}
