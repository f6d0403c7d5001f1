import type { PolicyRow } from '../../db/schema/policies.ts';
import type { PublicPolicy } from '../../schemas/policies.ts';
import type { PolicyUser } from './usage.ts';

/** The shape a shared policy leaves the service in. */
export function toPublicPolicy(row: PolicyRow, routeCount: number): PublicPolicy {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    policy: row.policy,
    route_count: routeCount,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export function toPolicyDetail(row: PolicyRow, users: PolicyUser[]) {
  return { ...toPublicPolicy(row, users.length), routes: users };
}
