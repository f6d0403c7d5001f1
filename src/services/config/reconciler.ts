import type { DataPlane } from '../../caddy/data-plane.ts';
import { compileSnapshot } from '../../caddy/snapshot.ts';
import type { GatewayLoader } from '../../context.ts';
import type { Db } from '../../db/index.ts';
import type { Logger } from '../../logger.ts';
import { loadCompileInput } from './compile-input.ts';
import { bumpVersion, currentVersion } from './version.ts';

export interface ReconcilerStatus {
  version: number;
  applied_version: number | null;
  pending: boolean;
  last_error: string | undefined;
}

/**
 * Keeps Caddy's snapshot equal to the database (the truth): on start, whenever Caddy (re)starts, and every
 * `intervalMs`. Repairs a Caddy that came back blank or stale and changes accepted while Caddy was down.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private toldVersion = -1;
  private statusValue: ReconcilerStatus = { version: 0, applied_version: null, pending: false, last_error: undefined };

  constructor(
    private readonly opts: {
      db: Db;
      dataPlane: DataPlane;
      logger: Logger;
      loadGateways?: GatewayLoader | undefined;
      /** The control plane's address for routes with auth (forward auth and login pages). */
      authEndpoint?: string | undefined;
      /** Caddy's per-install secret for requests it forwards to the control plane (caddy/proxy-secret.ts). */
      proxySecret?: string | undefined;
      /** Told whenever the config version differs from the last one told (gateways catch up from it). */
      onVersion?: ((version: number) => void) | undefined;
      intervalMs?: number;
      /**
       * Edge role (docs/scaling.md): the version belongs to the primary. A replica behind this edge's Caddy (or
       * not yet filled) waits for the next sync instead of moving the version.
       */
      followsPrimary?: boolean | undefined;
    },
  ) {}

  /** Starts the periodic passes; resolves when the first pass is done (the CLI prints its banner after it). */
  start(): Promise<void> {
    this.timer = setInterval(() => void this.trigger(), this.opts.intervalMs ?? 1000);
    this.timer.unref();
    return this.trigger();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  status(): ReconcilerStatus {
    return { ...this.statusValue };
  }

  /** Runs a pass now; a call during a pass schedules one more right after it (never two at once). */
  trigger(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.pass().catch((err: Error) => {
          this.statusValue.last_error = err.message;
          this.opts.logger.warn({ err }, 'reconcile pass failed');
        });
        // Gateways follow the database, not Caddy: a version the write path did not publish (a bump made
        // here, a change while a push failed) reaches them on the next pass.
        if (this.statusValue.version !== this.toldVersion) {
          this.toldVersion = this.statusValue.version;
          this.opts.onVersion?.(this.toldVersion);
        }
      } while (this.again);
      this.running = undefined;
    })();
    return this.running;
  }

  private async pass(): Promise<void> {
    const { db, dataPlane } = this.opts;
    let version = await currentVersion(db);
    this.statusValue.version = version;
    if (!dataPlane.available) {
      this.statusValue.pending = dataPlane.appliedVersion !== version;
      return;
    }
    const state = await dataPlane.state();
    if (!state) return;
    if (state.version === version && version > 0) {
      this.statusValue = { version, applied_version: state.version, pending: false, last_error: undefined };
      return;
    }
    if ((state.version > version || version === 0) && this.opts.followsPrimary) {
      this.statusValue = {
        ...this.statusValue,
        pending: true,
        last_error: 'replica behind this edge; waiting for sync',
      };
      return;
    }
    if (state.version > version || version === 0) {
      // Caddy saw a version whose transaction rolled back afterwards (move the database past it), or this is
      // a fresh database (the module counts from 1).
      version = await db.transaction((tx) => bumpVersion(tx, new Date(), state.version));
    }
    const snapshot = compileSnapshot(
      await loadCompileInput(db, version, this.opts.loadGateways, this.opts.authEndpoint, this.opts.proxySecret),
    );
    const result = await dataPlane.apply(snapshot);
    if (result.status === 'applied') {
      this.opts.logger.info({ version, was: state.version, routes: snapshot.routes.length }, 'data plane reconciled');
      this.statusValue = { version, applied_version: version, pending: false, last_error: undefined };
    } else {
      this.statusValue = {
        ...this.statusValue,
        version,
        pending: true,
        last_error: result.status === 'pending' ? result.reason : 'stale version',
      };
      if (result.status === 'stale') this.again = true;
    }
  }
}
