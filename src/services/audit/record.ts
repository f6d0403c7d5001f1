import { actorLabel, actorUsername, type ServiceContext } from '../../context.ts';
import type { DbOrTx } from '../../db/index.ts';
import { auditLog } from '../../db/schema/index.ts';
import { redactSecrets } from './redact.ts';

export interface AuditInput {
  action: string;
  resourceType?: string;
  resourceId?: string | number;
  before?: unknown;
  after?: unknown;
  /** The user named on the entry when the actor is the system (a failed login names the name tried). */
  actorUser?: string | undefined;
}

/** Writes one audit entry, secrets redacted, with the caller's handle, so it commits or rolls back with the change. */
export async function recordAudit({ ctx, tx, input }: { ctx: ServiceContext; tx: DbOrTx; input: AuditInput }) {
  await tx.insert(auditLog).values({
    at: ctx.now(),
    actor: actorLabel(ctx.actor),
    actorUser: input.actorUser ?? actorUsername(ctx.actor) ?? null,
    action: input.action,
    resourceType: input.resourceType ?? null,
    resourceId: input.resourceId === undefined ? null : String(input.resourceId),
    // Secret fields never reach the log, whatever the caller passed (./redact.ts).
    before: redactSecrets(input.before ?? null),
    after: redactSecrets(input.after ?? null),
    ip: ctx.ip ?? null,
    requestId: ctx.requestId ?? null,
  });
}
