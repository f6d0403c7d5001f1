import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import type { Tx } from '../../db/index.ts';
import { settings } from '../../db/schema/index.ts';
import { ValidationError } from '../../errors.ts';
import { RUNTIME_DEFAULTS } from '../settings/runtime.ts';

/** The file's settings inside the apply transaction, by the rules of updateRuntimeSettings (services/settings). */
export async function updateSettingsInTx(ctx: ServiceContext, tx: Tx, wanted: Record<string, unknown>) {
  if (wanted.wg_endpoint !== undefined && wanted.wg_endpoint !== null && ctx.config.wireguard.endpoint)
    throw new ValidationError([
      {
        field: 'settings.wg_endpoint',
        message: `is fixed by the environment (GATEHOUSE_WG_ENDPOINT=${ctx.config.wireguard.endpoint})`,
      },
    ]);
  const now = ctx.now();
  for (const key of Object.keys(RUNTIME_DEFAULTS)) {
    const value = wanted[key];
    if (value === undefined) continue;
    if (value === null || value === RUNTIME_DEFAULTS[key as keyof typeof RUNTIME_DEFAULTS]) {
      await tx.delete(settings).where(eq(settings.key, key));
      continue;
    }
    await tx
      .insert(settings)
      .values({ key, value, updatedAt: now })
      .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: now } });
  }
}
