import type { AdminRole } from '../../auth/roles.ts';
import { randomSecret, sha256Hex } from '../../auth/secrets.ts';
import type { ServiceContext } from '../../context.ts';
import type { Tx } from '../../db/index.ts';
import { adminSessions } from '../../db/schema/index.ts';
import { type AuditInput, recordAudit } from '../audit/record.ts';

/** How long a dashboard/API login session lasts. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/**
 * Opens an admin session inside the caller's transaction and writes its `auth.login` audit entry, named after
 * the user. Every way in (password, second factor, passkey, identity provider) ends here, so a session is the
 * same whichever way it was earned; `after` says how (e.g. `{ second_factor: 'totp' }`).
 */
export async function startAdminSession({
  ctx,
  tx,
  user,
  userAgent,
  after,
}: {
  ctx: ServiceContext;
  tx: Tx;
  user: { id: number; username: string; role: AdminRole };
  userAgent: string | undefined;
  after?: Record<string, unknown> | undefined;
}) {
  const token = randomSecret(32);
  const csrfToken = randomSecret(24);
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  await tx.insert(adminSessions).values({
    id: sha256Hex(token),
    userId: user.id,
    csrfToken,
    createdAt: now,
    expiresAt,
    lastSeenAt: now,
    ip: ctx.ip ?? null,
    userAgent: userAgent?.slice(0, 500) ?? null,
  });
  await recordAudit({
    ctx: { ...ctx, actor: { kind: 'admin', id: user.id, username: user.username, role: user.role } },
    tx,
    input: { action: 'auth.login', resourceType: 'admin_user', resourceId: user.id, ...(after ? { after } : {}) },
  });
  return { token, csrfToken, expiresAt };
}

/**
 * The `auth.login_failed` audit entry of any way in, in a transaction of its own (the refused login wrote
 * nothing else). `actorUser` is the name tried, so the audit log names who failed even without a session.
 */
export async function auditLoginFailure(ctx: ServiceContext, input: Omit<AuditInput, 'action'>) {
  await ctx.db.transaction((tx) => recordAudit({ ctx, tx, input: { action: 'auth.login_failed', ...input } }));
}
