import { eq } from 'drizzle-orm';
import { hashPassword } from '../../auth/passwords.ts';
import { secretBoxFor } from '../../auth/secret-box.ts';
import { totpEnrollment } from '../../auth/totp.ts';
import type { ServiceContext } from '../../context.ts';
import { routeAuthSessions, routeAuthUsers } from '../../db/schema/index.ts';
import { recordAudit } from '../audit/record.ts';
import { requireAuthUser, requireHttpRoute, toPublicAuthUser } from './public.ts';

/** A new password for a route-auth user; the user's sessions end (they were made with the old one). */
export async function setAuthUserPassword({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { routeId: number; userId: number; password: string };
}) {
  const passwordHash = await hashPassword(input.password);
  return ctx.db.transaction(async (tx) => {
    const existing = await requireAuthUser(tx, input.routeId, input.userId);
    const [row] = await tx
      .update(routeAuthUsers)
      .set({ passwordHash, updatedAt: ctx.now() })
      .where(eq(routeAuthUsers.id, input.userId))
      .returning();
    await tx.delete(routeAuthSessions).where(eq(routeAuthSessions.userId, input.userId));
    const user = toPublicAuthUser(row!);
    await recordAudit({
      ctx,
      tx,
      input: {
        action: 'route_auth.user_password',
        resourceType: 'route',
        resourceId: input.routeId,
        before: toPublicAuthUser(existing),
        after: user,
      },
    });
    return user;
  });
}

/** Re-enrollment (a lost phone): a new TOTP secret, shown once; the old one and the user's sessions end. */
export async function rotateAuthUserTotp({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { routeId: number; userId: number };
}) {
  return ctx.db.transaction(async (tx) => {
    const route = await requireHttpRoute(tx, input.routeId);
    const existing = await requireAuthUser(tx, input.routeId, input.userId);
    const totp = await totpEnrollment({
      issuer: 'Gatehouse',
      label: `${existing.username}@${route.domain ?? route.name}`,
    });
    const [row] = await tx
      .update(routeAuthUsers)
      .set({ totpSecret: secretBoxFor(ctx.config).seal(totp.secret), totpLastCounter: null, updatedAt: ctx.now() })
      .where(eq(routeAuthUsers.id, input.userId))
      .returning();
    await tx.delete(routeAuthSessions).where(eq(routeAuthSessions.userId, input.userId));
    const user = toPublicAuthUser(row!);
    await recordAudit({
      ctx,
      tx,
      input: {
        action: 'route_auth.user_totp',
        resourceType: 'route',
        resourceId: input.routeId,
        before: toPublicAuthUser(existing),
        after: user,
      },
    });
    return { ...user, totp };
  });
}
