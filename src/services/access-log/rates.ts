import { sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';

export interface RateBucket {
  /** Start of the bucket. */
  at: Date;
  requests: number;
  denied: number;
  bytes: number;
}

/**
 * A route's requests, denials and bytes (both ways) per bucket over the last `spanMs` (the route+time index
 * answers it). Every bucket is present, empty ones as zeros, oldest first.
 */
export async function routeRates(
  db: Db,
  routeId: number,
  now: Date,
  spanMs = 3_600_000,
  buckets = 60,
): Promise<RateBucket[]> {
  const size = Math.max(1000, Math.floor(spanMs / buckets));
  const start = Math.floor((now.getTime() - spanMs) / size) * size;
  const rows = await db.all<{ b: number; requests: number; denied: number; bytes: number }>(sql`
    SELECT (at - ${start}) / ${size} AS b, count(*) AS requests,
           sum(CASE WHEN decision = 'deny' THEN 1 ELSE 0 END) AS denied, sum(bytes_in + bytes_out) AS bytes
    FROM access_log WHERE route_id = ${routeId} AND at >= ${start} GROUP BY b`);
  const out: RateBucket[] = [];
  const n = Math.ceil((now.getTime() - start) / size);
  for (let i = 0; i < n; i++) out.push({ at: new Date(start + i * size), requests: 0, denied: 0, bytes: 0 });
  for (const r of rows) {
    const slot = out[Number(r.b)];
    if (slot) Object.assign(slot, { requests: Number(r.requests), denied: Number(r.denied), bytes: Number(r.bytes) });
  }
  return out;
}
