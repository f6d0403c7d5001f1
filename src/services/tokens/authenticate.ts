import { eq } from 'drizzle-orm';
import { API_TOKEN_PREFIX, sha256Hex } from '../../auth/secrets.ts';
import type { Db } from '../../db/index.ts';
import { apiTokens } from '../../db/schema/index.ts';
import { UnauthorizedError } from '../../errors.ts';

// last_used_at is a hint for people, not an audit record: writing it at most once a minute keeps every
// authenticated GET from becoming a write.
const LAST_USED_RESOLUTION_MS = 60_000;

/** Resolves a bearer token to its row, or throws 401 for unknown, revoked and expired tokens alike. */
export async function authenticateToken({ db, token, now }: { db: Db; token: string; now: Date }) {
  if (!token.startsWith(API_TOKEN_PREFIX)) throw new UnauthorizedError('invalid API token');
  const [row] = await db
    .select()
    .from(apiTokens)
    .where(eq(apiTokens.tokenHash, sha256Hex(token)));
  if (!row || row.revokedAt) throw new UnauthorizedError('invalid API token');
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) throw new UnauthorizedError('API token expired');
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    // Not awaited: a hint must never be why a request waits or fails (a locked database or a full disk
    // would otherwise turn every authenticated read into a 503).
    void db
      .update(apiTokens)
      .set({ lastUsedAt: now })
      .where(eq(apiTokens.id, row.id))
      .catch(() => undefined);
  }
  return row;
}
