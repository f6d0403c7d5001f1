import { resolvePolicy, type SnapshotPolicy } from '../../caddy/snapshot.ts';
import type { ServiceContext } from '../../context.ts';
import type { DbOrTx } from '../../db/index.ts';
import { AppError, UnavailableError, UpstreamRejectedError, ValidationError } from '../../errors.ts';
import { l4PolicyIssues, type Policy } from '../../policy/schema.ts';
import type { ExplainAnswer, ExplainPolicyInput } from '../../schemas/policies.ts';
import { loadPeerRefs } from '../config/compile-input.ts';
import { getPolicy } from './read.ts';

/**
 * Explain for a policy no route needs to carry: the data plane decides (`POST /gatehouse/v1/explain`, the
 * code that enforces), so the answer cannot drift from enforcement. Nothing is counted against a rate limit.
 */
export async function explainPolicy({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: ExplainPolicyInput & { id: number };
}) {
  const shared = await getPolicy({ ctx, input: { id: input.id } });
  return askDataPlane(ctx, await snapshotPolicy(ctx.db, shared.policy, shared.name), input);
}

/** The same for a policy in the making (the dashboard's editor, or a client trying one out). */
export async function explainUnsavedPolicy({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: ExplainPolicyInput & { policy: Policy };
}) {
  return askDataPlane(ctx, await snapshotPolicy(ctx.db, input.policy), input);
}

async function askDataPlane(ctx: ServiceContext, policy: SnapshotPolicy, input: ExplainPolicyInput) {
  if (input.kind === 'l4') {
    const issues = l4PolicyIssues(policy as Policy);
    if (issues.length > 0)
      throw new ValidationError(issues.map((i) => ({ field: `policy.${i.path}`, message: i.message })));
  }
  const dataPlane = ctx.hooks?.dataPlane;
  if (!dataPlane?.available)
    throw new UnavailableError('the data plane (Caddy) is not running; explain asks it directly');
  const res = await dataPlane.explainPolicy({
    policy,
    kind: input.kind,
    ip: input.ip,
    ...(input.at !== undefined ? { at: input.at } : {}),
    ...(input.kind === 'http' && input.method !== undefined ? { method: input.method } : {}),
    ...(input.kind === 'http' && input.path !== undefined ? { path: input.path } : {}),
  });
  if (res.status === 422) {
    const errors = (res.body as { errors?: { path: string; message: string }[] }).errors ?? [];
    throw new UpstreamRejectedError(
      `the data plane refused the policy: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
      { data_plane_errors: errors },
    );
  }
  if (res.status !== 200) throw new AppError('internal', `the data plane answered ${res.status} to explain`);
  return res.body as ExplainAnswer;
}

/**
 * The policy as the data plane reads it (docs/snapshot.md): the snapshot compiler's own resolution of peers
 * (enabled, unexpired ones) and the shared policy's name.
 */
export async function snapshotPolicy(db: DbOrTx, policy: Policy, name?: string): Promise<SnapshotPolicy> {
  return resolvePolicy(policy, await loadPeerRefs(db), name);
}
