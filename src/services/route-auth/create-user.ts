import { and, eq } from 'drizzle-orm';
import { hashPassword } from '../../auth/passwords.ts';
import { secretBoxFor } from '../../auth/secret-box.ts';
import { totpEnrollment } from '../../auth/totp.ts';
import type { ServiceContext } from '../../context.ts';
import { routeAuthUsers } from '../../db/schema/index.ts';
import { ConflictError } from '../../errors.ts';
import { recordAudit } from '../audit/record.ts';
import { requireHttpRoute, toPublicAuthUser } from './public.ts';

/**
 * A user who may log in to one route. Every user gets a TOTP secret at once (used when the route's method is
 * password_totp); the secret, its otpauth URI and QR code are in this response only.
 */
export async function createAuthUser({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { routeId: number; username: string; password: string };
}) {
  const passwordHash = await hashPassword(input.password);
  return ctx.db.transaction(async (tx) => {
    const route = await requireHttpRoute(tx, input.routeId);
    const [taken] = await tx
      .select({ id: routeAuthUsers.id })
      .from(routeAuthUsers)
      .where(and(eq(routeAuthUsers.routeId, route.id), eq(routeAuthUsers.username, input.username)));
    if (taken)
      throw new ConflictError(`route ${route.id} already has a user named ${input.username}`, { field: 'username' });
    const totp = await totpEnrollment({
      issuer: 'Gatehouse',
      label: `${input.username}@${route.domain ?? route.name}`,
    });
    const now = ctx.now();
    const [row] = await tx
      .insert(routeAuthUsers)
      .values({
        routeId: route.id,
        username: input.username,
        passwordHash,
        totpSecret: secretBoxFor(ctx.config).seal(totp.secret),
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    const user = toPublicAuthUser(row!);
    await recordAudit({
      ctx,
      tx,
      input: { action: 'route_auth.user_create', resourceType: 'route', resourceId: route.id, after: user },
    });
    return { ...user, totp };
  });
}
