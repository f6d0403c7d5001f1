import { newApiToken } from '../../auth/secrets.ts';
import type { ServiceContext } from '../../context.ts';
import { apiTokens } from '../../db/schema/index.ts';
import type { CreateTokenInput } from '../../schemas/tokens.ts';
import { recordAudit } from '../audit/record.ts';
import { toPublicToken } from './public.ts';

export async function createToken({ ctx, input }: { ctx: ServiceContext; input: CreateTokenInput }) {
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
        createdBy: ctx.actor.kind === 'admin' ? ctx.actor.id : null,
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
