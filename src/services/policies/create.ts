import type { ServiceContext } from '../../context.ts';
import { policies } from '../../db/schema/index.ts';
import type { CreatePolicyInput } from '../../schemas/policies.ts';
import { recordAudit } from '../audit/record.ts';
import { assertPolicyFits, nameTaken } from './checks.ts';
import { toPolicyDetail } from './public.ts';

/** A new shared policy; no route uses it yet, so the data plane is not involved. */
export async function createPolicy({ ctx, input }: { ctx: ServiceContext; input: CreatePolicyInput }) {
  const detail = await ctx.db
    .transaction(async (tx) => {
      await assertPolicyFits(tx, input.policy, []);
      const now = ctx.now();
      const [row] = await tx
        .insert(policies)
        .values({
          name: input.name,
          description: input.description,
          policy: input.policy,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      const after = toPolicyDetail(row!, []);
      await recordAudit({
        ctx,
        tx,
        input: { action: 'policy.create', resourceType: 'policy', resourceId: row!.id, after },
      });
      return after;
    })
    .catch((err) => nameTaken(err, input.name));
  return { ...detail, config_version: null, data_plane: 'unchanged' as const };
}
