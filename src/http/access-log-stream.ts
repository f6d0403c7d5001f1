import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { UnavailableError } from '../errors.ts';
import type { AccessLogFilter } from '../schemas/access-log.ts';
import type { AccessLogLive } from '../services/access-log/live.ts';
import { matchesFilter, toEntry } from '../services/access-log/query.ts';

/** Entries a slow reader may have queued; beyond, the oldest are dropped and a `dropped` event says how many. */
const MAX_QUEUED = 500;
const HEARTBEAT_MS = 15_000;
const FLUSH_MS = 250;

/**
 * The live tail as server-sent events (`entry` events, JSON of an AccessLogEntry), shared by the API and the
 * dashboard. Subscribers are bounded (503 beyond), every stream gets a heartbeat comment, and a reader that
 * falls behind loses the oldest queued entries instead of growing the process.
 */
export function accessLogStream(c: Context, live: AccessLogLive | undefined, filter: AccessLogFilter) {
  if (!live) throw new UnavailableError('the access log is not being followed (Caddy is disabled)');
  const queue: ReturnType<typeof toEntry>[] = [];
  let dropped = 0;
  const unsubscribe = live.subscribe((rows) => {
    for (const r of rows) {
      if (!matchesFilter(filter, r)) continue;
      if (queue.length >= MAX_QUEUED) {
        queue.shift();
        dropped++;
      }
      queue.push(toEntry(r));
    }
  });
  if (!unsubscribe) throw new UnavailableError('too many live log viewers; try again later');
  c.header('X-Accel-Buffering', 'no');
  c.header('Cache-Control', 'no-store');
  return streamSSE(c, async (stream) => {
    let closed = false;
    stream.onAbort(() => {
      closed = true;
    });
    let lastBeat = Date.now();
    try {
      await stream.write(': live\n\n');
      while (!closed && !stream.aborted) {
        if (dropped > 0) {
          await stream.writeSSE({ event: 'dropped', data: String(dropped) });
          dropped = 0;
        }
        while (queue.length > 0 && !stream.aborted) {
          await stream.writeSSE({ event: 'entry', data: JSON.stringify(queue.shift()) });
        }
        if (Date.now() - lastBeat >= HEARTBEAT_MS) {
          await stream.write(': heartbeat\n\n');
          lastBeat = Date.now();
        }
        await stream.sleep(FLUSH_MS);
      }
    } finally {
      unsubscribe();
    }
  });
}
