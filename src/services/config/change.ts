import { controlPlaneDial } from '../../caddy/route-auth.ts';
import { compileSnapshot } from '../../caddy/snapshot.ts';
import type { ServiceContext } from '../../context.ts';
import type { Tx } from '../../db/index.ts';
import { loadCompileInput } from './compile-input.ts';
import { bumpVersion } from './version.ts';

export interface ConfigPush {
  version: number;
  /** `applied`: live in Caddy now. `pending`: Caddy is down; the reconciler applies it when it is back. */
  data_plane: 'applied' | 'pending';
}

export interface ConfigChangeResult<T> extends ConfigPush {
  result: T;
}

/**
 * Inside the caller's transaction: bump the version, compile the snapshot from the transaction's view and
 * PUT it to Caddy. A 422 from Caddy throws, so the caller's transaction rolls back with it.
 */
export async function pushConfigInTx(ctx: ServiceContext, tx: Tx): Promise<ConfigPush> {
  const dataPlane = ctx.hooks?.dataPlane;
  let version = await bumpVersion(tx, ctx.now(), dataPlane?.highestVersion ?? 0);
  const input = await loadCompileInput(
    tx,
    version,
    ctx.hooks?.loadGateways,
    controlPlaneDial(ctx.config.listen),
    ctx.hooks?.proxySecret,
  );
  let applied = dataPlane
    ? await dataPlane.apply(compileSnapshot(input))
    : ({ status: 'pending', reason: 'no data plane' } as const);
  if (applied.status === 'stale') {
    // Caddy holds a newer version than ours (a push whose transaction rolled back): move past it once.
    version = await bumpVersion(tx, ctx.now(), applied.current);
    applied = await dataPlane!.apply(compileSnapshot({ ...input, version }));
  }
  return { version, data_plane: applied.status === 'applied' ? 'applied' : 'pending' };
}

/**
 * The write path (docs/architecture.md#a-route-change) for anything that changes the data plane: in ONE transaction —
 * the caller's writes, then `pushConfigInTx`. If Caddy rejects the snapshot (422), the error propagates and the
 * transaction rolls back, so database and Caddy stay as they were. Gateways are told after the commit.
 */
export async function changeConfig<T>(
  ctx: ServiceContext,
  write: (tx: Tx) => Promise<T>,
): Promise<ConfigChangeResult<T>> {
  const outcome = await ctx.db.transaction(async (tx) => {
    const result = await write(tx);
    return { result, ...(await pushConfigInTx(ctx, tx)) };
  });
  ctx.hooks?.published?.(outcome.version);
  return outcome;
}
