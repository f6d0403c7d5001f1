import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/index.ts';
import { settings } from '../../db/schema/index.ts';

const KEY = 'config_version';

export async function currentVersion(db: DbOrTx): Promise<number> {
  const [row] = await db.select().from(settings).where(eq(settings.key, KEY));
  return typeof row?.value === 'number' ? row.value : 0;
}

/**
 * Every change to routes, peers or gateways bumps the config version inside its transaction. `atLeast` lets
 * the caller skip past versions the data plane has already seen (a push that succeeded in a transaction that
 * then rolled back), since the module refuses to go back.
 */
export async function bumpVersion(tx: DbOrTx, now: Date, atLeast = 0): Promise<number> {
  const next = Math.max((await currentVersion(tx)) + 1, atLeast + 1);
  await tx
    .insert(settings)
    .values({ key: KEY, value: next, updatedAt: now })
    .onConflictDoUpdate({ target: settings.key, set: { value: next, updatedAt: now } });
  return next;
}
