import { isNotNull } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { routes } from '../../db/schema/index.ts';
import { poolTargets } from '../../pool/schema.ts';
import { changeConfig } from './change.ts';

/**
 * Pushes a new snapshot when a gateway in some pool comes or goes (its event stream opened or dropped) or its
 * agent starts or stops reporting a route failing: the compiler leaves such members out of the rotation
 * (src/caddy/pool.ts), so Caddy stops sending new connections there at once rather than after a failed dial.
 * Changes arriving during a push are coalesced into one more push.
 */
export class PoolRotation {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly ctx: ServiceContext) {}

  /** A gateway's presence or failing routes changed. Resolves when the snapshot reflects it (or it was moot). */
  async changed(gatewayId: number): Promise<void> {
    const pooled = await this.ctx.db
      .select({
        gatewayId: routes.gatewayId,
        targetLanHost: routes.targetLanHost,
        targetLanPort: routes.targetLanPort,
        pool: routes.pool,
      })
      .from(routes)
      .where(isNotNull(routes.pool));
    if (!pooled.some((r) => poolTargets(r).some((t) => t.gatewayId === gatewayId))) return;
    return this.push();
  }

  private push(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          const { version } = await changeConfig(this.ctx, async () => undefined);
          this.ctx.logger.info({ version }, 'pool rotation changed; snapshot pushed');
        } catch (err) {
          this.ctx.logger.error({ err }, 'pool rotation push failed; the reconciler retries');
        }
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }
}
