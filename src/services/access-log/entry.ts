import type { NewAccessLogRow } from '../../db/schema/index.ts';

/**
 * Turns one line of the data plane's access log (caddy-module/access_log.go, JSON; the time is `ts` in
 * Unix milliseconds) into a row. The file is ours and written by Caddy, but it is still input: every
 * field is type-checked, strings are cut to a limit and numbers bounded, and a line that is not an
 * access entry gives `undefined` (counted, never stored).
 */
export const MAX_LINE_BYTES = 16 * 1024;
const LIMITS = { client: 64, country: 8, asn: 16, user: 200, check: 32, rule: 500, host: 253, method: 16, path: 1000 };

function str(v: unknown, max: number): string | null {
  if (typeof v !== 'string' || v === '') return null;
  return v.length > max ? v.slice(0, max) : v;
}

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.min(Math.floor(v), Number.MAX_SAFE_INTEGER) : 0;
}

/** Route ids in snapshots are the routes' decimal ids (src/caddy/snapshot.ts). */
function routeIdOf(v: unknown): number | null {
  return typeof v === 'string' && /^[1-9]\d{0,9}$/.test(v) ? Number(v) : null;
}

export type ParsedEntry = Omit<NewAccessLogRow, 'id' | 'peerId'>;

export function parseAccessLine(line: string): ParsedEntry | undefined {
  if (line.length === 0 || line.length > MAX_LINE_BYTES) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const e = raw as Record<string, unknown>;
  if (e.msg !== 'access' || typeof e.ts !== 'number' || !Number.isFinite(e.ts)) return undefined;
  const decision = e.decision === 'allow' || e.decision === 'deny' ? e.decision : undefined;
  const kind = e.kind === 'http' || e.kind === 'tcp' || e.kind === 'udp' ? e.kind : undefined;
  const client = str(e.client, LIMITS.client);
  if (!decision || !kind) return undefined;
  const status = typeof e.status === 'number' && Number.isInteger(e.status) && e.status >= 0 && e.status < 1000;
  const duration = typeof e.duration === 'number' && Number.isFinite(e.duration) && e.duration > 0 ? e.duration : 0;
  return {
    at: new Date(Math.floor(e.ts)),
    routeId: routeIdOf(e.route),
    kind,
    client: client ?? '',
    country: str(e.country, LIMITS.country),
    // The data plane writes the AS number as a number (0: unknown).
    asn:
      typeof e.asn === 'number'
        ? Number.isInteger(e.asn) && e.asn > 0
          ? String(e.asn)
          : null
        : str(e.asn, LIMITS.asn),
    user: str(e.user, LIMITS.user),
    decision,
    check: str(e.check, LIMITS.check),
    rule: str(e.rule, LIMITS.rule),
    host: str(e.host, LIMITS.host),
    method: str(e.method, LIMITS.method),
    path: str(e.path, LIMITS.path),
    status: status ? (e.status as number) : null,
    bytesIn: count(e.bytes_in),
    bytesOut: count(e.bytes_out),
    durationMs: Math.min(Math.round(duration * 1e6) / 1e3, 1e12),
  };
}
