import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context.ts';
import { policies } from '../../db/schema/index.ts';
import { NotFoundError } from '../../errors.ts';
import type { UpdatePolicyInput } from '../../schemas/policies.ts';
import { recordAudit } from '../audit/record.ts';
import { assertPolicyFits, nameTaken } from './checks.ts';
import { toPolicyDetail } from './public.ts';
import { routesUsingPolicy } from './usage.ts';
import { writePolicy } from './write.ts';

/**
 * Partial update. Every route using the policy changes with it: one transaction, one data-plane push (the
 * snapshot carries the policy's name too, so a rename is pushed as well). An L4 route among the users
 * refuses HTTP-only conditions and logins, naming the route.
 */
export async function updatePolicy({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { id: number; changes: UpdatePolicyInput };
}) {
  const { changes } = input;
  const written = await writePolicy(ctx, async (tx) => {
    const [existing] = await tx.select().from(policies).where(eq(policies.id, input.id));
    if (!existing) throw new NotFoundError('policy', input.id);
    const users = await routesUsingPolicy(tx, input.id);
    if (changes.policy) await assertPolicyFits(tx, changes.policy, users);
    const [row] = await tx
      .update(policies)
      .set({
        ...(changes.name !== undefined ? { name: changes.name } : {}),
        ...(changes.description !== undefined ? { description: changes.description } : {}),
        ...(changes.policy !== undefined ? { policy: changes.policy } : {}),
        updatedAt: ctx.now(),
      })
      .where(eq(policies.id, input.id))
      .returning();
    const after = toPolicyDetail(row!, users);
    await recordAudit({
      ctx,
      tx,
      input: {
        action: 'policy.update',
        resourceType: 'policy',
        resourceId: input.id,
        before: toPolicyDetail(existing, users),
        after,
      },
    });
    const changed = changes.policy !== undefined || (changes.name !== undefined && changes.name !== existing.name);
    return { result: after, push: users.length > 0 && changed };
  }).catch((err) => nameTaken(err, changes.name));
  return { ...written.result, config_version: written.config_version, data_plane: written.data_plane };
}
