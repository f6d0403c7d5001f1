import { roleAtLeast, TOKEN_SCOPE_ROLE } from '../../auth/roles.ts';
import { newApiToken } from '../../auth/secrets.ts';
import { actorUserId, type ServiceContext } from '../../context.ts';
import { apiTokens } from '../../db/schema/index.ts';
import { ForbiddenError } from '../../errors.ts';
import type { CreateTokenInput } from '../../schemas/tokens.ts';
import { recordAudit } from '../audit/record.ts';
import { toPublicToken } from './public.ts';

/**
 * Creates an API token for the caller's user (a token's creator when a token calls). A token can never do more
 * than its creator: a scope above the caller's role is refused here, and src/services/tokens/authenticate.ts
 * cuts every token to its creator's current role on each request.
 */
export async function createToken({ ctx, input }: { ctx: ServiceContext; input: CreateTokenInput }) {
  const { actor } = ctx;
  const callerRole = actor.kind === 'admin' || actor.kind === 'token' ? actor.role : 'owner';
  const wanted = TOKEN_SCOPE_ROLE[input.scope];
  if (actor.kind === 'gateway' || !roleAtLeast(callerRole, wanted))
    throw new ForbiddenError(
      `a token with the ${input.scope} scope acts as ${wanted}; you are ${callerRole} and cannot create one`,
    );
  const secret = newApiToken();
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiTokens)
      .values({
        name: input.name,
        tokenHash: secret.hash,
        prefix: secret.prefix,
        scope: input.scope,
        expiresAt: input.expires_at ? new Date(input.expires_at) : null,
        createdAt: ctx.now(),
        createdBy: actorUserId(actor) ?? null,
      })
      .returning();
    const token = toPublicToken(row!);
    await recordAudit({
      ctx,
      tx,
      input: { action: 'token.create', resourceType: 'token', resourceId: token.id, after: token },
    });
    return { ...token, token: secret.token };
  });
}
