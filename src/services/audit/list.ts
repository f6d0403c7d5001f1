import { and, count, desc, eq, gte, inArray, lte, type SQL } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { type AuditEntry, auditLog } from '../../db/schema/index.ts';
import type { AuditQuery } from '../../schemas/audit.ts';
import { auditDiff } from './diff.ts';
import { redactSecrets } from './redact.ts';

/** Audit actions that mean someone was turned away: failed admin logins and failed route logins. */
export const DENIAL_ACTIONS = ['auth.login_failed', 'route_auth.failed'];

function toPublicAudit(r: AuditEntry) {
  // Redacted again on the way out: rows written before redaction existed may still hold a secret field.
  const before = redactSecrets(r.before);
  const after = redactSecrets(r.after);
  return {
    id: r.id,
    at: r.at.toISOString(),
    actor: r.actor,
    action: r.action,
    resource_type: r.resourceType,
    resource_id: r.resourceId,
    ip: r.ip,
    request_id: r.requestId,
    before,
    after,
    changes: auditDiff(before, after),
  };
}

export type PublicAuditEntry = ReturnType<typeof toPublicAudit>;

/** The newest audit entries, optionally only some actions (the overview shows recent denials). */
export async function listAudit({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { actions?: string[]; limit?: number };
}) {
  const rows = await ctx.db
    .select()
    .from(auditLog)
    .where(input.actions?.length ? inArray(auditLog.action, input.actions) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(Math.min(input.limit ?? 20, 200));
  return rows.map((r) => ({ ...toPublicAudit(r), detail: r.after as Record<string, unknown> | null }));
}

/** One page of the audit log, newest first, filtered by resource, actor, action and time. */
export async function queryAudit({ ctx, input }: { ctx: ServiceContext; input: AuditQuery }) {
  const filters: SQL[] = [];
  if (input.resource_type) filters.push(eq(auditLog.resourceType, input.resource_type));
  if (input.resource_id) filters.push(eq(auditLog.resourceId, input.resource_id));
  if (input.actor) filters.push(eq(auditLog.actor, input.actor));
  if (input.action) filters.push(eq(auditLog.action, input.action));
  if (input.since) filters.push(gte(auditLog.at, new Date(input.since)));
  if (input.until) filters.push(lte(auditLog.at, new Date(input.until)));
  const where = filters.length ? and(...filters) : undefined;
  const [rows, totals] = await Promise.all([
    ctx.db.select().from(auditLog).where(where).orderBy(desc(auditLog.id)).limit(input.limit).offset(input.offset),
    ctx.db.select({ total: count() }).from(auditLog).where(where),
  ]);
  return {
    data: rows.map(toPublicAudit),
    pagination: { total: totals[0]?.total ?? 0, limit: input.limit, offset: input.offset },
  };
}
