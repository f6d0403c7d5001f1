import { randomBytes } from 'node:crypto';
import { and, count, eq, isNull } from 'drizzle-orm';
import { sha256Hex } from '../../auth/secrets.ts';
import type { DbOrTx } from '../../db/index.ts';
import { adminRecoveryCodes } from '../../db/schema/index.ts';

/** How many recovery codes an admin gets at once. */
export const RECOVERY_CODE_COUNT = 10;
// No 0/o, 1/l/i: codes are read off paper. 32 symbols, 10 per code: 50 bits, plenty for a sha256 at rest.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const CODE_LENGTH = 10;

/** A new code as shown to people: `xxxxx-xxxxx`. */
function newCode(): string {
  let out = '';
  while (out.length < CODE_LENGTH) {
    for (const byte of randomBytes(CODE_LENGTH)) {
      // Rejection sampling keeps every symbol equally likely.
      if (out.length < CODE_LENGTH && byte < 256 - (256 % ALPHABET.length)) out += ALPHABET[byte % ALPHABET.length];
    }
  }
  return `${out.slice(0, 5)}-${out.slice(5)}`;
}

/**
 * What a typed code is compared as: lower case, without spaces and dashes; null when it cannot be a recovery
 * code at all (wrong length or symbols), so hostile input never reaches the database.
 */
export function normaliseRecoveryCode(input: string): string | null {
  if (input.length > 64) return null;
  const code = input.toLowerCase().replace(/[\s-]/g, '');
  return code.length === CODE_LENGTH && [...code].every((ch) => ALPHABET.includes(ch)) ? code : null;
}

/** Replaces the admin's codes with new ones and returns them (to be shown once; only their hashes stay). */
export async function replaceRecoveryCodes(tx: DbOrTx, userId: number, now: Date): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
  await tx.delete(adminRecoveryCodes).where(eq(adminRecoveryCodes.userId, userId));
  await tx.insert(adminRecoveryCodes).values(
    codes.map((code) => ({
      userId,
      codeHash: sha256Hex(normaliseRecoveryCode(code)!),
      createdAt: now,
    })),
  );
  return codes;
}

export async function deleteRecoveryCodes(tx: DbOrTx, userId: number): Promise<void> {
  await tx.delete(adminRecoveryCodes).where(eq(adminRecoveryCodes.userId, userId));
}

export async function remainingRecoveryCodes(db: DbOrTx, userId: number): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(adminRecoveryCodes)
    .where(and(eq(adminRecoveryCodes.userId, userId), isNull(adminRecoveryCodes.usedAt)));
  return row?.n ?? 0;
}

/**
 * Uses one of the admin's codes: true once per code. The conditional update is the single-use guard, so two
 * logins racing with the same code cannot both succeed.
 */
export async function consumeRecoveryCode(db: DbOrTx, userId: number, input: string, now: Date): Promise<boolean> {
  const code = normaliseRecoveryCode(input);
  if (code === null) return false;
  const used = await db
    .update(adminRecoveryCodes)
    .set({ usedAt: now })
    .where(
      and(
        eq(adminRecoveryCodes.userId, userId),
        eq(adminRecoveryCodes.codeHash, sha256Hex(code)),
        isNull(adminRecoveryCodes.usedAt),
      ),
    )
    .returning({ id: adminRecoveryCodes.id });
  return used.length > 0;
}
