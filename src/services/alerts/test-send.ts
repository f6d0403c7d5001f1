import type { ServiceContext } from '../../context.ts';
import { alertStates } from '../../db/schema/index.ts';
import { AppError } from '../../errors.ts';
import { getChannelRow } from './channels.ts';
import type { AlertEvent } from './event.ts';
import type { DeliveryQueue } from './queue.ts';

/** The send-test button: a test notice for one channel, queued (the outcome shows as its last delivery). */
export async function queueTestAlert({
  ctx,
  input,
  queue,
}: {
  ctx: ServiceContext;
  input: { id: number };
  queue: DeliveryQueue | undefined;
}) {
  const row = await getChannelRow(ctx.db, input.id);
  if (!queue) throw new AppError('unavailable', 'alert delivery is not running in this process');
  const at = ctx.now().toISOString();
  const event: AlertEvent = {
    state: 'test',
    condition: 'test',
    key: `test:${row.id}`,
    subject: `test notice for channel ${row.name}`,
    message: `This is a test notice from Gatehouse to the ${row.kind} channel "${row.name}".`,
    since: at,
    at,
  };
  queue.enqueue([row.id], event);
  return { queued: true as const, channel_id: row.id };
}

/** The conditions that hold now, fired or still within their threshold. */
export async function listActiveAlerts({ ctx }: { ctx: ServiceContext }) {
  const rows = await ctx.db.select().from(alertStates).orderBy(alertStates.since).limit(1000);
  return rows.map((r) => ({
    key: r.key,
    condition: r.condition,
    subject: r.subject,
    message: r.message,
    since: r.since.toISOString(),
    fired_at: r.firedAt ? r.firedAt.toISOString() : null,
    last_notified_at: r.lastNotifiedAt ? r.lastNotifiedAt.toISOString() : null,
  }));
}
