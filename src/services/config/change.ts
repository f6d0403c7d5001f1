import { compileSnapshot } from '../../caddy/snapshot.ts';
import type { ServiceContext } from '../../context.ts';
import type { Tx } from '../../db/index.ts';
import { loadCompileInput } from './compile-input.ts';
import { bumpVersion } from './version.ts';

export interface ConfigChangeResult<T> {
  result: T;
  version: number;
  /** `applied`: live in Caddy now. `pending`: Caddy is down; the reconciler applies it when it is back. */
  data_plane: 'applied' | 'pending';
}

/**
 * The write path of DESIGN §2 for anything that changes the data plane: in ONE transaction — the caller's
 * writes, a version bump, compile the snapshot from the transaction's view, PUT it to Caddy. If Caddy rejects
 * it (422), the error propagates and the transaction rolls back, so database and Caddy stay as they were.
 * Gateways are told after the commit.
 */
export async function changeConfig<T>(ctx: ServiceContext, write: (tx: Tx) => Promise<T>): Promise<ConfigChangeResult<T>> {
  const dataPlane = ctx.hooks?.dataPlane;
  const outcome = await ctx.db.transaction(async (tx) => {
    const result = await write(tx);
    let version = await bumpVersion(tx, ctx.now(), dataPlane?.highestVersion ?? 0);
    const input = await loadCompileInput(tx, version, ctx.hooks?.loadGateways);
    let applied = dataPlane ? await dataPlane.apply(compileSnapshot(input)) : ({ status: 'pending', reason: 'no data plane' } as const);
    if (applied.status === 'stale') {
      // Caddy holds a newer version than ours (a push whose transaction rolled back): move past it once.
      version = await bumpVersion(tx, ctx.now(), applied.current);
      applied = await dataPlane!.apply(compileSnapshot({ ...input, version }));
    }
    return { result, version, data_plane: applied.status === 'applied' ? ('applied' as const) : ('pending' as const) };
  });
  ctx.hooks?.published?.(outcome.version);
  return outcome;
}
