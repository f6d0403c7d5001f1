import { eq } from 'drizzle-orm';
import { type AdminRole, lowerRole, TOKEN_SCOPE_ROLE } from '../../auth/roles.ts';
import { API_TOKEN_PREFIX, sha256Hex } from '../../auth/secrets.ts';
import type { Db } from '../../db/index.ts';
import { adminUsers, apiTokens } from '../../db/schema/index.ts';
import { UnauthorizedError } from '../../errors.ts';

// last_used_at is a hint for people, not an audit record: writing it at most once a minute keeps every
// authenticated GET from becoming a write.
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Resolves a bearer token to its row and the role it may act with: its scope's role, cut to its creator's
 * current role (a demoted creator demotes their tokens at once). Throws 401 for unknown, revoked and expired
 * tokens alike, and for tokens whose creator is disabled or gone.
 */
export async function authenticateToken({ db, token, now }: { db: Db; token: string; now: Date }) {
  if (!token.startsWith(API_TOKEN_PREFIX)) throw new UnauthorizedError('invalid API token');
  const [found] = await db
    .select({
      token: apiTokens,
      creator: {
        id: adminUsers.id,
        username: adminUsers.username,
        role: adminUsers.role,
        disabledAt: adminUsers.disabledAt,
      },
    })
    .from(apiTokens)
    .leftJoin(adminUsers, eq(adminUsers.id, apiTokens.createdBy))
    .where(eq(apiTokens.tokenHash, sha256Hex(token)));
  const row = found?.token;
  if (!row || row.revokedAt) throw new UnauthorizedError('invalid API token');
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) throw new UnauthorizedError('API token expired');
  const creator = found.creator;
  if (creator?.disabledAt) throw new UnauthorizedError('the user who created this API token is disabled');
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    // Not awaited: a hint must never be why a request waits or fails (a locked database or a full disk
    // would otherwise turn every authenticated read into a 503).
    void db
      .update(apiTokens)
      .set({ lastUsedAt: now })
      .where(eq(apiTokens.id, row.id))
      .catch(() => undefined);
  }
  const scopeRole: AdminRole = TOKEN_SCOPE_ROLE[row.scope];
  // No creator: a token the system issued (the CLI, tests); a deleted creator's tokens are revoked with them.
  const role = creator ? lowerRole(scopeRole, creator.role) : scopeRole;
  return { ...row, role, creator: creator ? { id: creator.id, username: creator.username } : undefined };
}
