import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { type AlertStateRow, alertStates } from '../../db/schema/index.ts';
import type { AlertSettings } from '../../schemas/alerts.ts';
import { RUNTIME_DEFAULTS, readRuntimeSettings } from '../settings/runtime.ts';
import { type AlertLiveSource, type Observation, observe } from './conditions.ts';
import type { AlertEvent } from './event.ts';
import type { DeliveryQueue } from './queue.ts';

/** At most this many notices per tick; the rest go out on the next ticks (state is only advanced for those sent). */
const MAX_NOTICES_PER_TICK = 200;

/**
 * The alert loop: every `evaluate_seconds` it observes the conditions (./conditions.ts) and compares them with
 * the stored states. A condition fires once it has held for its threshold, repeats every `repeat_seconds` while
 * it lasts, and sends a recovery notice when it ends. States live in `alert_states`, so a restart neither
 * re-fires nor forgets. The database condition cannot be stored while the database fails: it is kept in memory.
 */
export class AlertEvaluator {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly memory = new Map<string, AlertStateRow>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly live: AlertLiveSource,
    private readonly queue: DeliveryQueue,
  ) {}

  start(): void {
    this.schedule(1000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One evaluation (tests call it directly). */
  async tick(): Promise<AlertEvent[]> {
    const settings = await readRuntimeSettings(this.ctx.db)
      .then((s) => s.alerts)
      .catch(() => RUNTIME_DEFAULTS.alerts);
    const observed = await observe(this.ctx, this.live, settings);
    const dbDown = observed.some((o) => o.key === 'database');
    const events = dbDown
      ? this.advance(
          observed.filter((o) => o.key === 'database'),
          [...this.memory.values()],
          settings,
          true,
        )
      : await this.advanceStored(observed, settings);
    for (const event of events) await this.queue.broadcast(event);
    return events;
  }

  private async advanceStored(observed: Observation[], settings: AlertSettings): Promise<AlertEvent[]> {
    return this.ctx.db.transaction(async (tx) => {
      const stored = await tx.select().from(alertStates);
      // The in-memory database alert ends with the database's recovery.
      const states = [...stored, ...this.memory.values()];
      const events = this.advance(observed, states, settings, false);
      for (const change of this.changes) {
        if (change.kind === 'delete') await tx.delete(alertStates).where(eq(alertStates.key, change.row.key));
        else
          await tx
            .insert(alertStates)
            .values(change.row)
            .onConflictDoUpdate({ target: alertStates.key, set: { ...change.row } });
      }
      this.memory.clear();
      return events;
    });
  }

  private changes: { kind: 'put' | 'delete'; row: AlertStateRow }[] = [];

  /** The notices due now; the state changes go to `this.changes` (stored) or `this.memory` (database down). */
  private advance(observed: Observation[], states: AlertStateRow[], s: AlertSettings, inMemory: boolean): AlertEvent[] {
    const now = this.ctx.now();
    const byKey = new Map(states.map((st) => [st.key, st]));
    const events: AlertEvent[] = [];
    this.changes = [];
    const put = (row: AlertStateRow) =>
      inMemory ? this.memory.set(row.key, row) : this.changes.push({ kind: 'put', row });
    const drop = (row: AlertStateRow) =>
      inMemory ? this.memory.delete(row.key) : this.changes.push({ kind: 'delete', row });
    const notice = (state: AlertEvent['state'], row: AlertStateRow): boolean => {
      if (events.length >= MAX_NOTICES_PER_TICK) return false;
      events.push({
        state,
        condition: row.condition,
        key: row.key,
        subject: row.subject,
        message: row.message,
        since: row.since.toISOString(),
        at: now.toISOString(),
      });
      return true;
    };
    const seen = new Set<string>();
    for (const o of observed) {
      if (seen.has(o.key)) continue;
      seen.add(o.key);
      const st = byKey.get(o.key) ?? {
        key: o.key,
        condition: o.condition,
        subject: o.subject,
        message: o.message,
        since: now,
        firedAt: null,
        lastNotifiedAt: null,
      };
      const next = { ...st, subject: o.subject, message: o.message };
      if (!st.firedAt) {
        if (now.getTime() - st.since.getTime() >= o.thresholdSeconds * 1000 && notice('firing', next)) {
          next.firedAt = now;
          next.lastNotifiedAt = now;
        }
      } else if (now.getTime() - (st.lastNotifiedAt ?? st.firedAt).getTime() >= s.repeat_seconds * 1000) {
        if (notice('repeat', next)) next.lastNotifiedAt = now;
      }
      if (
        !byKey.has(o.key) ||
        next.firedAt !== st.firedAt ||
        next.lastNotifiedAt !== st.lastNotifiedAt ||
        next.message !== st.message
      )
        put(next);
    }
    for (const st of states) {
      if (seen.has(st.key)) continue;
      // Over: a recovery notice if it had fired; otherwise it ends silently.
      if (st.firedAt && !notice('resolved', st)) continue;
      drop(st);
    }
    return events;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .then(() => undefined)
        .catch((err) => this.ctx.logger.error({ err }, 'alert evaluation failed'))
        .finally(async () => {
          const s = await readRuntimeSettings(this.ctx.db).catch(() => RUNTIME_DEFAULTS);
          this.schedule(s.alerts.evaluate_seconds * 1000);
        });
    }, delayMs);
    this.timer.unref?.();
  }
}
