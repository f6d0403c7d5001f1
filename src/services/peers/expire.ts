import { and, eq, inArray, isNotNull, lte } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { withWriteRetry } from '../../db/retry.ts';
import { peers } from '../../db/schema/index.ts';
import type { Logger } from '../../logger.ts';
import { recordAudit } from '../audit/record.ts';
import { applyPeers } from './apply.ts';
import type { PeerDeps } from './deps.ts';
import { auditShape } from './public.ts';

/**
 * Disables every enabled peer whose expiry has passed, in one transaction: rows, audit entries, route ACL
 * hooks and the interface. (The interface already leaves expired peers out at every apply; this makes the
 * database say so too, and fires the hooks.) Returns the ids it disabled.
 */
export async function disableExpiredPeers({ ctx, deps }: { ctx: ServiceContext; deps: PeerDeps }): Promise<number[]> {
  const now = ctx.now();
  return withWriteRetry(() =>
    ctx.db.transaction(async (tx) => {
      const due = await tx
        .select()
        .from(peers)
        .where(and(eq(peers.enabled, true), isNotNull(peers.expiresAt), lte(peers.expiresAt, now)));
      if (due.length === 0) return [];
      const ids = due.map((p) => p.id);
      await tx.update(peers).set({ enabled: false, updatedAt: now }).where(inArray(peers.id, ids));
      for (const before of due) {
        await recordAudit({
          ctx,
          tx,
          input: {
            action: 'peer.expire',
            resourceType: 'peer',
            resourceId: before.id,
            before: auditShape(before),
            after: auditShape({ ...before, enabled: false, updatedAt: now }),
          },
        });
      }
      await deps.hooks.peerRemoved(tx, { peerIds: ids, reason: 'expired' });
      await applyPeers({ tx, network: deps.network, now });
      return ids;
    }),
  );
}

/** Runs disableExpiredPeers every `intervalMs`. start()/stop(); nothing runs at import. */
export class PeerExpiryJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly opts: { ctx: ServiceContext; deps: PeerDeps; intervalMs?: number; logger: Logger }) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), this.opts.intervalMs ?? 60_000);
    this.timer.unref();
    void this.runOnce();
  }

  /** One pass; never throws (a failed pass is logged and retried at the next tick). */
  async runOnce(): Promise<number[]> {
    if (this.running) await this.running;
    const pass = disableExpiredPeers({ ctx: this.opts.ctx, deps: this.opts.deps })
      .then((ids) => {
        if (ids.length > 0) this.opts.logger.info({ peerIds: ids }, 'expired peers disabled');
        return ids;
      })
      .catch((err: unknown) => {
        this.opts.logger.error({ err: (err as Error).message }, 'expiring peers failed');
        return [] as number[];
      });
    this.running = pass;
    try {
      return await pass;
    } finally {
      if (this.running === pass) this.running = undefined;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
