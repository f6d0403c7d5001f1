import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

// OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): a login costs tens of milliseconds, not seconds.
const ARGON2_OPTIONS = {
  algorithm: 2 /* Argon2id; the enum is const and cannot be imported here */,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

// Made once, when this module loads: an unknown user costs one verification, not a hash and a verification.
const dummyHash = hashPassword(randomBytes(24).toString('base64url'));
// Never an unhandled rejection at start; a failure shows when the hash is first awaited.
dummyHash.catch(() => {});

/**
 * Checks a password against a stored hash, or, when there is none (the user does not exist), against a dummy
 * hash with the same parameters: the same argon2 work either way, so the answer's timing does not tell which
 * names exist (SECURITY.md). Always false without a stored hash.
 */
export async function verifyPasswordOrDummy(passwordHash: string | null | undefined, password: string) {
  if (passwordHash) return verifyPassword(passwordHash, password);
  await verifyPassword(await dummyHash, password);
  return false;
}

/** A password people can type: 20 characters from an unambiguous alphabet (~110 bits). */
export function generatePassword(length = 20): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(length * 2);
  let out = '';
  for (let i = 0; out.length < length && i < bytes.length; i++) {
    const byte = bytes[i]!;
    // Rejection sampling keeps every character equally likely.
    if (byte < Math.floor(256 / alphabet.length) * alphabet.length) out += alphabet[byte % alphabet.length];
  }
  return out.length === length ? out : generatePassword(length);
}
