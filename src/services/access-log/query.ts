import { and, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { type AccessLogRow, accessLog, type NewAccessLogRow } from '../../db/schema/index.ts';
import type {
  AccessLogEntry,
  AccessLogExportQuery,
  AccessLogFilter,
  AccessLogListQuery,
} from '../../schemas/access-log.ts';

function where(f: AccessLogFilter, before?: number): SQL | undefined {
  const parts: (SQL | undefined)[] = [
    f.route !== undefined ? eq(accessLog.routeId, f.route) : undefined,
    f.address !== undefined ? eq(accessLog.client, f.address) : undefined,
    f.decision !== undefined ? eq(accessLog.decision, f.decision) : undefined,
    f.check !== undefined ? eq(accessLog.check, f.check) : undefined,
    f.rule !== undefined ? eq(accessLog.rule, f.rule) : undefined,
    f.from !== undefined ? gte(accessLog.at, f.from) : undefined,
    f.to !== undefined ? lt(accessLog.at, f.to) : undefined,
    before !== undefined ? lt(accessLog.id, before) : undefined,
  ];
  return and(...parts.filter((p): p is SQL => p !== undefined));
}

export function toEntry(r: AccessLogRow | (NewAccessLogRow & { id?: number })): AccessLogEntry {
  return {
    id: r.id ?? 0,
    at: r.at.toISOString(),
    route_id: r.routeId ?? null,
    kind: r.kind as AccessLogEntry['kind'],
    client: r.client,
    country: r.country ?? null,
    asn: r.asn ?? null,
    peer_id: r.peerId ?? null,
    user: r.user ?? null,
    decision: r.decision as AccessLogEntry['decision'],
    check: r.check ?? null,
    rule: r.rule ?? null,
    host: r.host ?? null,
    method: r.method ?? null,
    path: r.path ?? null,
    status: r.status ?? null,
    bytes_in: r.bytesIn,
    bytes_out: r.bytesOut,
    duration_ms: r.durationMs,
  };
}

/** Newest first, one page; `next_before` continues with older entries (stable while new ones arrive). */
export async function listAccessLog(db: Db, q: AccessLogListQuery) {
  const rows = await db
    .select()
    .from(accessLog)
    .where(where(q, q.before))
    .orderBy(desc(accessLog.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  return {
    data: page.map(toEntry),
    next_before: rows.length > q.limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}

/** The export, newest first, read in pages so memory stays bounded whatever the limit. */
export async function* exportAccessLog(db: Db, q: AccessLogExportQuery): AsyncGenerator<AccessLogEntry> {
  let before: number | undefined;
  let left = q.limit;
  while (left > 0) {
    const n = Math.min(left, 1000);
    const rows = await db.select().from(accessLog).where(where(q, before)).orderBy(desc(accessLog.id)).limit(n);
    for (const r of rows) yield toEntry(r);
    left -= rows.length;
    if (rows.length < n) return;
    before = rows[rows.length - 1]?.id;
  }
}

/** Whether a live entry passes the filters (the live tail filters in memory). */
export function matchesFilter(f: AccessLogFilter, r: NewAccessLogRow): boolean {
  return (
    (f.route === undefined || r.routeId === f.route) &&
    (f.address === undefined || r.client === f.address) &&
    (f.decision === undefined || r.decision === f.decision) &&
    (f.check === undefined || r.check === f.check) &&
    (f.rule === undefined || r.rule === f.rule) &&
    (f.from === undefined || r.at >= f.from) &&
    (f.to === undefined || r.at < f.to)
  );
}

export const CSV_COLUMNS: (keyof AccessLogEntry)[] = [
  'id',
  'at',
  'route_id',
  'kind',
  'client',
  'country',
  'asn',
  'peer_id',
  'user',
  'decision',
  'check',
  'rule',
  'host',
  'method',
  'path',
  'status',
  'bytes_in',
  'bytes_out',
  'duration_ms',
];

/**
 * One CSV field (RFC 4180 quoting). A text starting with = + - @ or a tab gets a leading apostrophe, so a
 * spreadsheet opening the export never runs a path or user name a client chose as a formula.
 */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n']/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(e: AccessLogEntry): string {
  return `${CSV_COLUMNS.map((k) => csvField(e[k])).join(',')}\r\n`;
}
