import { desc, inArray } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { auditLog } from '../../db/schema/index.ts';

/** Audit actions that mean someone was turned away: failed admin logins and failed route logins. */
export const DENIAL_ACTIONS = ['auth.login_failed', 'route_auth.failed'];

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
  return rows.map((r) => ({
    id: r.id,
    at: r.at.toISOString(),
    actor: r.actor,
    action: r.action,
    resource_type: r.resourceType,
    resource_id: r.resourceId,
    ip: r.ip,
    detail: r.after as Record<string, unknown> | null,
  }));
}
