import type { z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { secretBoxFor } from '../../auth/secret-box.ts';
import { randomSecret } from '../../auth/secrets.ts';
import type { ServiceContext } from '../../context.ts';
import type { DbOrTx } from '../../db/index.ts';
import { type AlertChannelRow, alertChannels } from '../../db/schema/index.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.ts';
import {
  type ChannelConfig,
  ChannelConfigSchema,
  type ChannelKind,
  type CreateChannelSchema,
  SECRET_CHANNEL_FIELDS,
  type UpdateChannelSchema,
} from '../../schemas/alerts.ts';
import { recordAudit } from '../audit/record.ts';

type Secrets = Partial<Record<(typeof SECRET_CHANNEL_FIELDS)[number], string>>;

/** Splits a channel's config into what may be shown and the write-only secrets. */
function split(config: ChannelConfig): { shown: Record<string, unknown>; secrets: Secrets } {
  const shown: Record<string, unknown> = {};
  const secrets: Secrets = {};
  for (const [k, v] of Object.entries(config)) {
    if ((SECRET_CHANNEL_FIELDS as readonly string[]).includes(k)) {
      if (typeof v === 'string') secrets[k as keyof Secrets] = v;
    } else shown[k] = v;
  }
  return { shown, secrets };
}

/** The only shape a channel leaves the service in: never a secret, only which ones are set. */
export function toPublicChannel(row: AlertChannelRow, secretNames: string[]) {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as ChannelKind,
    enabled: row.enabled,
    config: row.config,
    secrets_set: secretNames,
    last_delivery_at: row.lastDeliveryAt ? row.lastDeliveryAt.toISOString() : null,
    last_delivery_error: row.lastDeliveryError,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/** A channel with its secrets opened: for the sender only (services/alerts/send.ts). */
export function openChannel(ctx: Pick<ServiceContext, 'config'>, row: AlertChannelRow): ChannelConfig {
  const secrets = row.secrets ? (JSON.parse(secretBoxFor(ctx.config).open(row.secrets)) as Secrets) : {};
  return ChannelConfigSchema.parse({ ...row.config, ...secrets });
}

function secretNamesOf(ctx: ServiceContext, row: AlertChannelRow): string[] {
  return Object.keys(row.secrets ? (JSON.parse(secretBoxFor(ctx.config).open(row.secrets)) as Secrets) : {});
}

async function assertNameFree(tx: DbOrTx, name: string, except?: number) {
  const [other] = await tx.select().from(alertChannels).where(eq(alertChannels.name, name));
  if (other && other.id !== except)
    throw new ConflictError(`alert channel ${other.id} is already named "${name}"`, { field: 'name' });
}

function seal(ctx: ServiceContext, secrets: Secrets): string | null {
  return Object.keys(secrets).length ? secretBoxFor(ctx.config).seal(JSON.stringify(secrets)) : null;
}

export async function listChannels({ ctx }: { ctx: ServiceContext }) {
  const rows = await ctx.db.select().from(alertChannels).orderBy(alertChannels.id);
  return rows.map((r) => toPublicChannel(r, secretNamesOf(ctx, r)));
}

export async function getChannelRow(db: DbOrTx, id: number): Promise<AlertChannelRow> {
  const [row] = await db.select().from(alertChannels).where(eq(alertChannels.id, id));
  if (!row) throw new NotFoundError('alert channel', id);
  return row;
}

export async function getChannel({ ctx, input }: { ctx: ServiceContext; input: { id: number } }) {
  const row = await getChannelRow(ctx.db, input.id);
  return toPublicChannel(row, secretNamesOf(ctx, row));
}

/** A new channel; a webhook without a secret gets a generated one, returned in this response only. */
export async function createChannel({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: z.infer<typeof CreateChannelSchema>;
}) {
  const config = { ...input.config };
  let generated: string | undefined;
  if (config.kind === 'webhook' && !config.secret) {
    generated = randomSecret(32);
    config.secret = generated;
  }
  const { shown, secrets } = split(config);
  return ctx.db.transaction(async (tx) => {
    await assertNameFree(tx, input.name);
    const now = ctx.now();
    const [row] = await tx
      .insert(alertChannels)
      .values({
        name: input.name,
        kind: config.kind,
        config: shown,
        secrets: seal(ctx, secrets),
        enabled: input.enabled,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    const view = toPublicChannel(row!, Object.keys(secrets));
    await recordAudit({
      ctx,
      tx,
      input: { action: 'alert_channel.create', resourceType: 'alert_channel', resourceId: row!.id, after: view },
    });
    return { ...view, ...(generated ? { secret: generated } : {}) };
  });
}

/** Changes a channel; a new config of the same kind keeps each stored secret it leaves out. */
export async function updateChannel({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { id: number } & z.infer<typeof UpdateChannelSchema>;
}) {
  return ctx.db.transaction(async (tx) => {
    const before = await getChannelRow(tx, input.id);
    const beforeView = toPublicChannel(before, secretNamesOf(ctx, before));
    if (input.name !== undefined) await assertNameFree(tx, input.name, input.id);
    const set: Partial<AlertChannelRow> = { updatedAt: ctx.now() };
    if (input.name !== undefined) set.name = input.name;
    if (input.enabled !== undefined) set.enabled = input.enabled;
    if (input.config) {
      if (input.config.kind !== before.kind) {
        throw new ValidationError([
          {
            field: 'config.kind',
            message: `cannot change a ${before.kind} channel into ${input.config.kind}; create a new channel`,
          },
        ]);
      }
      const kept = before.secrets ? (JSON.parse(secretBoxFor(ctx.config).open(before.secrets)) as Secrets) : {};
      const { shown, secrets } = split(input.config);
      set.config = shown;
      set.secrets = seal(ctx, { ...kept, ...secrets });
    }
    const [after] = await tx.update(alertChannels).set(set).where(eq(alertChannels.id, input.id)).returning();
    const view = toPublicChannel(after!, secretNamesOf(ctx, after!));
    await recordAudit({
      ctx,
      tx,
      input: {
        action: 'alert_channel.update',
        resourceType: 'alert_channel',
        resourceId: input.id,
        before: beforeView,
        after: view,
      },
    });
    return view;
  });
}

export async function removeChannel({ ctx, input }: { ctx: ServiceContext; input: { id: number } }) {
  return ctx.db.transaction(async (tx) => {
    const before = await getChannelRow(tx, input.id);
    const view = toPublicChannel(before, secretNamesOf(ctx, before));
    await tx.delete(alertChannels).where(eq(alertChannels.id, input.id));
    await recordAudit({
      ctx,
      tx,
      input: { action: 'alert_channel.delete', resourceType: 'alert_channel', resourceId: input.id, before: view },
    });
    return view;
  });
}

/** Remembers the outcome of a delivery attempt for the dashboard; a deleted channel is simply gone. */
export async function noteDelivery(db: DbOrTx, id: number, at: Date, error: string | null): Promise<void> {
  await db
    .update(alertChannels)
    .set({ lastDeliveryAt: at, lastDeliveryError: error?.slice(0, 500) ?? null })
    .where(eq(alertChannels.id, id));
}
