import type { ApiToken } from '../../db/schema/index.ts';
import type { PublicToken } from '../../schemas/tokens.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The only shape a token leaves the service in: never the hash. */
export function toPublicToken(row: ApiToken): PublicToken {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scope: row.scope,
    expires_at: iso(row.expiresAt),
    last_used_at: iso(row.lastUsedAt),
    created_at: row.createdAt.toISOString(),
    revoked_at: iso(row.revokedAt),
  };
}
