import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { eq } from 'drizzle-orm';
import { sha256Hex } from '../../auth/secrets.ts';
import type { ServiceContext } from '../../context.ts';
import { adminSessions } from '../../db/schema/index.ts';
import { UnauthorizedError } from '../../errors.ts';
import { type RelyingParty, verifyPasskeyLogin } from '../passkeys/index.ts';
import { auditLoginFailure, startAdminSession } from './start.ts';
import { pendingLoginUser } from './two-step.ts';

/**
 * A passkey assertion → a new full session: the second step of a pending login (`pendingToken`; the passkey
 * must be that user's, and the pending session is replaced), or a passwordless login (any user's passkey, with
 * user verification). Failures are audit-logged like wrong passwords.
 */
export async function finishPasskeyLogin({
  ctx,
  rp,
  input,
}: {
  ctx: ServiceContext;
  rp: RelyingParty;
  input: {
    response: AuthenticationResponseJSON;
    expectedChallenge: string;
    pendingToken?: string | undefined;
    userAgent?: string | undefined;
  };
}) {
  const pending = input.pendingToken ? await pendingLoginUser({ ctx, pendingToken: input.pendingToken }) : null;
  if (input.pendingToken && !pending) throw new UnauthorizedError('the login has expired; enter your password again');
  let user: Awaited<ReturnType<typeof verifyPasskeyLogin>>;
  try {
    user = await verifyPasskeyLogin({
      db: ctx.db,
      rp,
      now: ctx.now(),
      input: { response: input.response, expectedChallenge: input.expectedChallenge, userId: pending?.id },
    });
  } catch (err) {
    await auditLoginFailure(ctx, {
      resourceType: 'admin_user',
      actorUser: pending?.username,
      after: { reason: 'bad_passkey', ...(pending ? { username: pending.username } : {}) },
    });
    throw err;
  }
  const session = await ctx.db.transaction(async (tx) => {
    if (input.pendingToken) await tx.delete(adminSessions).where(eq(adminSessions.id, sha256Hex(input.pendingToken)));
    return startAdminSession({
      ctx,
      tx,
      user,
      userAgent: input.userAgent,
      after: pending ? { second_factor: 'passkey' } : { passwordless: 'passkey' },
    });
  });
  return { ...session, username: user.username };
}
