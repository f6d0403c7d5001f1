import type { ServiceContext } from '../../context.ts';
import type { Tx } from '../../db/index.ts';
import { type ConfigPush, pushConfigInTx } from '../config/change.ts';

export interface PolicyWriteMeta {
  config_version: number | null;
  /** `unchanged`: no route uses the policy, so the data plane had nothing to learn. */
  data_plane: ConfigPush['data_plane'] | 'unchanged';
}

/**
 * One transaction for a policy verb: the caller's writes and audit entry, then — only when routes use the
 * policy — ONE data-plane push for all of them (src/services/config/change.ts). A rejected push rolls the
 * whole verb back. Gateways hear of the new version after the commit, as with changeConfig.
 */
export async function writePolicy<T>(
  ctx: ServiceContext,
  write: (tx: Tx) => Promise<{ result: T; push: boolean }>,
): Promise<{ result: T } & PolicyWriteMeta> {
  const outcome = await ctx.db.transaction(async (tx) => {
    const { result, push } = await write(tx);
    return { result, pushed: push ? await pushConfigInTx(ctx, tx) : null };
  });
  if (outcome.pushed) ctx.hooks?.published?.(outcome.pushed.version);
  return {
    result: outcome.result,
    config_version: outcome.pushed?.version ?? null,
    data_plane: outcome.pushed?.data_plane ?? 'unchanged',
  };
}
