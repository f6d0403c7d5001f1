import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { type AlertChannelRow, alertChannels } from '../../db/schema/index.ts';
import { noteDelivery, openChannel } from './channels.ts';
import type { AlertEvent } from './event.ts';
import { sendAlert } from './send.ts';

export interface DeliveryQueueOptions {
  /** Pending deliveries kept at most; the oldest is dropped (and logged) beyond it. */
  maxSize?: number;
  /** Attempts per delivery, the first included. */
  maxAttempts?: number;
  /** The wait before the second attempt; it doubles after each failure, up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Deliveries in flight at once. */
  concurrency?: number;
  timeoutMs?: number;
}

interface Delivery {
  channelId: number;
  event: AlertEvent;
  attempts: number;
  dueAt: number;
}

/**
 * Alert deliveries, off every request's path: `enqueue` returns at once, a worker sends with retries and
 * exponential backoff. In memory and bounded: a database that fails must still be reported, and a restart
 * loses at most the notices still pending (the alert state in the database is not lost, so nothing re-fires).
 */
export class DeliveryQueue {
  private readonly pending: Delivery[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly idle = new Set<() => void>();
  private readonly opts: Required<DeliveryQueueOptions>;
  /** The channels as last read, so a failing database can still be reported to them. */
  private readonly known = new Map<number, AlertChannelRow>();

  constructor(
    private readonly ctx: ServiceContext,
    opts: DeliveryQueueOptions = {},
  ) {
    this.opts = {
      maxSize: 1000,
      maxAttempts: 6,
      baseDelayMs: 2000,
      maxDelayMs: 300_000,
      concurrency: 4,
      timeoutMs: 10_000,
      ...opts,
    };
  }

  /** Queues `event` for each channel id; returns how many were queued. */
  enqueue(channelIds: number[], event: AlertEvent): number {
    if (this.stopped) return 0;
    for (const channelId of channelIds) {
      if (this.pending.length >= this.opts.maxSize) {
        const dropped = this.pending.shift();
        this.ctx.logger.warn(
          { channelId: dropped?.channelId, key: dropped?.event.key },
          'alert queue full: dropped the oldest delivery',
        );
      }
      this.pending.push({ channelId, event, attempts: 0, dueAt: Date.now() });
    }
    this.schedule(0);
    return channelIds.length;
  }

  /** Queues `event` for every enabled channel. */
  async broadcast(event: AlertEvent): Promise<number> {
    const ids = await this.ctx.db
      .select()
      .from(alertChannels)
      .where(eq(alertChannels.enabled, true))
      .then((rows) => {
        for (const row of rows) this.known.set(row.id, row);
        return rows.map((r) => r.id);
      })
      .catch(() => [...this.known.values()].filter((r) => r.enabled).map((r) => r.id));
    return this.enqueue(ids, event);
  }

  get size(): number {
    return this.pending.length + this.inFlight;
  }

  /** Settles when nothing is pending or in flight (tests). */
  drained(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.pending.length = 0;
    this.settleIdle();
  }

  private settleIdle(): void {
    const waiting = [...this.idle];
    this.idle.clear();
    for (const done of waiting) done();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.pump(), delayMs);
    this.timer.unref?.();
  }

  private pump(): void {
    const now = Date.now();
    while (this.inFlight < this.opts.concurrency) {
      const i = this.pending.findIndex((d) => d.dueAt <= now);
      if (i < 0) break;
      const [delivery] = this.pending.splice(i, 1);
      this.inFlight++;
      void this.attempt(delivery!).finally(() => {
        this.inFlight--;
        if (this.size === 0) this.settleIdle();
        this.schedule(0);
      });
    }
    const next = Math.min(...this.pending.map((d) => d.dueAt));
    if (Number.isFinite(next) && this.inFlight < this.opts.concurrency) this.schedule(Math.max(0, next - now));
  }

  private async attempt(d: Delivery): Promise<void> {
    let row: AlertChannelRow | undefined;
    try {
      [row] = await this.ctx.db.select().from(alertChannels).where(eq(alertChannels.id, d.channelId));
      if (row) this.known.set(row.id, row);
      else this.known.delete(d.channelId);
    } catch {
      row = this.known.get(d.channelId); // the database is down: the channel as last read
    }
    if (!row) return; // deleted meanwhile
    d.attempts++;
    try {
      await sendAlert(openChannel(this.ctx, row), d.event, this.opts.timeoutMs);
      await noteDelivery(this.ctx.db, row.id, new Date(), null).catch(() => undefined);
    } catch (err) {
      const message = (err as Error).message;
      await noteDelivery(this.ctx.db, row.id, new Date(), message).catch(() => undefined);
      if (d.attempts >= this.opts.maxAttempts || this.stopped) {
        this.ctx.logger.warn({ channel: row.name, key: d.event.key, err: message }, 'alert delivery gave up');
        return;
      }
      const delay = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** (d.attempts - 1));
      this.ctx.logger.info(
        { channel: row.name, key: d.event.key, err: message, retryInMs: delay },
        'alert delivery failed; retrying',
      );
      this.pending.push({ ...d, dueAt: Date.now() + delay });
    }
  }
}
