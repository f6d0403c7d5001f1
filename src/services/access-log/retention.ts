import { sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import type { Logger } from '../../logger.ts';
import { readRuntimeSettings } from '../settings/runtime.ts';

/** Rows per DELETE, and DELETEs per run: each holds the write queue briefly, and a run ends in bounded time. */
const CHUNK = 5_000;
const MAX_CHUNKS_PER_RUN = 40;

/**
 * Deletes access log entries older than `access_log_retention_days` and beyond the newest
 * `access_log_max_entries`, in bounded chunks (each its own short write, so ingestion and requests
 * interleave). Returns how many rows went.
 */
export async function enforceAccessLogRetention(db: Db, now: Date): Promise<number> {
  const s = await readRuntimeSettings(db);
  const cutoff = now.getTime() - s.access_log_retention_days * 86_400_000;
  let deleted = 0;
  for (let i = 0; i < MAX_CHUNKS_PER_RUN; i++) {
    const r = await db.run(
      sql`DELETE FROM access_log WHERE id IN (SELECT id FROM access_log WHERE at < ${cutoff} ORDER BY id LIMIT ${CHUNK})`,
    );
    deleted += r.rowsAffected;
    if (r.rowsAffected < CHUNK) break;
  }
  // The id of the oldest entry still allowed by count (ids grow with time).
  const [edge] = await db.all<{ id: number }>(
    sql`SELECT id FROM access_log ORDER BY id DESC LIMIT 1 OFFSET ${s.access_log_max_entries - 1}`,
  );
  if (edge) {
    for (let i = 0; i < MAX_CHUNKS_PER_RUN; i++) {
      const r = await db.run(
        sql`DELETE FROM access_log WHERE id IN (SELECT id FROM access_log WHERE id < ${edge.id} ORDER BY id LIMIT ${CHUNK})`,
      );
      deleted += r.rowsAffected;
      if (r.rowsAffected < CHUNK) break;
    }
  }
  return deleted;
}

/** Runs the retention every `intervalMs` (first run soon after start). */
export class AccessLogRetentionJob {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: { db: Db; logger: Logger; now: () => Date; intervalMs?: number }) {}

  start(): void {
    const every = this.o.intervalMs ?? 60_000;
    const run = () => {
      this.#running = enforceAccessLogRetention(this.o.db, this.o.now())
        .then((n) => n > 0 && this.o.logger.debug({ deleted: n }, 'access log retention'))
        .catch((err) => this.o.logger.warn({ err: (err as Error).message }, 'access log retention failed'))
        .finally(() => {
          this.#timer = setTimeout(run, every);
        });
    };
    this.#timer = setTimeout(run, Math.min(every, 5_000));
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    await this.#running;
    clearTimeout(this.#timer);
  }
}
