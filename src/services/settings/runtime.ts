import { eq, inArray } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import type { DbOrTx } from '../../db/index.ts';
import { identityProviders, settings } from '../../db/schema/index.ts';
import { ValidationError } from '../../errors.ts';
import { ALERT_DEFAULTS, type AlertSettings } from '../../schemas/alerts.ts';
import type { UpdateSettingsInput } from '../../schemas/settings.ts';
import { recordAudit } from '../audit/record.ts';

/**
 * Settings changed at run time, with their defaults. Each is a row of the `settings` key/value table (which also
 * holds the config version, services/config/version.ts); a missing row means the default.
 */
export type RuntimeSettings = Required<Omit<UpdateSettingsInput, 'alerts'>> & { alerts: AlertSettings };
export const RUNTIME_DEFAULTS: RuntimeSettings = {
  /** The API reference is public only when an admin says so (issue 13 item 20). */
  api_docs_public: false,
  /** Where WireGuard clients connect, when the environment does not say (services/settings/wg-endpoint.ts). */
  wg_endpoint: null,
  /** Alert thresholds (services/alerts/evaluator.ts). */
  alerts: ALERT_DEFAULTS,
  /** The access log's retention (services/access-log/retention.ts): by age and by count, whichever is less. */
  access_log_retention_days: 30,
  access_log_max_entries: 1_000_000,
  /** Scheduled backups into the data dir (services/backup/schedule.ts): every N hours, 0 = off. */
  backup_interval_hours: 0,
  /** How many scheduled backups are kept (the oldest go first). */
  backup_keep: 7,
  /** Passwords off for the dashboard and API login, but for the break-glass owner (src/services/identity-providers/sso-only.ts). */
  sso_only: false,
};
const KEYS = Object.keys(RUNTIME_DEFAULTS) as (keyof RuntimeSettings)[];

export async function readRuntimeSettings(db: DbOrTx): Promise<RuntimeSettings> {
  const rows = await db.select().from(settings).where(inArray(settings.key, KEYS));
  const out: RuntimeSettings = { ...RUNTIME_DEFAULTS };
  for (const row of rows) {
    if (row.key === 'api_docs_public' && typeof row.value === 'boolean') out.api_docs_public = row.value;
    if (row.key === 'wg_endpoint' && typeof row.value === 'string') out.wg_endpoint = row.value;
    if (row.key === 'alerts' && typeof row.value === 'object') out.alerts = { ...ALERT_DEFAULTS, ...row.value };
    if (row.key === 'access_log_retention_days' && typeof row.value === 'number') {
      out.access_log_retention_days = row.value;
    }
    if (row.key === 'access_log_max_entries' && typeof row.value === 'number') out.access_log_max_entries = row.value;
    if (row.key === 'backup_interval_hours' && typeof row.value === 'number') out.backup_interval_hours = row.value;
    if (row.key === 'backup_keep' && typeof row.value === 'number') out.backup_keep = row.value;
    if (row.key === 'sso_only' && typeof row.value === 'boolean') out.sso_only = row.value;
  }
  return out;
}

export async function apiDocsPublic(db: DbOrTx): Promise<boolean> {
  const [row] = await db.select().from(settings).where(eq(settings.key, 'api_docs_public'));
  return row?.value === true;
}

/** Changes the given settings only (absent ones keep their value), with one audit entry, in one transaction. */
export async function updateRuntimeSettings({ ctx, input }: { ctx: ServiceContext; input: UpdateSettingsInput }) {
  if (input.wg_endpoint !== undefined && ctx.config.wireguard.endpoint) {
    throw new ValidationError([
      {
        field: 'wg_endpoint',
        message: `is fixed by the environment (GATEHOUSE_WG_ENDPOINT=${ctx.config.wireguard.endpoint}); unset that variable to set it here`,
      },
    ]);
  }
  if (input.sso_only === true) {
    const [provider] = await ctx.db
      .select({ id: identityProviders.id })
      .from(identityProviders)
      .where(eq(identityProviders.forDashboard, true))
      .limit(1);
    if (!provider)
      throw new ValidationError([
        {
          field: 'sso_only',
          message: 'needs an identity provider for the dashboard first (Settings → Identity providers)',
        },
      ]);
  }
  return ctx.db.transaction(async (tx) => {
    const before = await readRuntimeSettings(tx);
    const now = ctx.now();
    for (const key of KEYS) {
      // Alert thresholds merge: the fields given replace, the rest keep their stored value.
      const value = key === 'alerts' && input.alerts ? { ...before.alerts, ...input.alerts } : input[key];
      if (value === undefined) continue;
      if (value === null) {
        await tx.delete(settings).where(eq(settings.key, key));
        continue;
      }
      await tx
        .insert(settings)
        .values({ key, value, updatedAt: now })
        .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: now } });
    }
    const after = await readRuntimeSettings(tx);
    await recordAudit({ ctx, tx, input: { action: 'settings.update', resourceType: 'settings', before, after } });
    return after;
  });
}
