/**
 * Audit entries never hold secrets (SECURITY.md, "Secrets at rest"): whatever a service verb passes as before or
 * after, fields whose names say they hold a secret are replaced by this marker before the row is written. Service
 * verbs already pass public views; this is the net under them.
 */
export const REDACTED = '[redacted]';

// Compared with the name lower-cased and without `_`/`-`: passwordHash, password_hash and password-hash alike.
const SECRET_NAMES = new Set([
  'password',
  'passwordhash',
  'newpassword',
  'currentpassword',
  'privatekey',
  'presharedkey',
  'tokenhash',
  'token',
  'secret',
  'secrethash',
  'totpsecret',
  'totpsecretsealed',
  'codehash',
  'recoverycodes',
  'proxysecret',
  'apikey',
  'apptoken',
  'authorization',
  'smtppassword',
]);
const SECRET_SUFFIXES = ['password', 'passwordhash', 'privatekey', 'tokenhash', 'secret', 'apptoken'];

export function isSecretField(name: string): boolean {
  const n = name.toLowerCase().replace(/[_-]/g, '');
  return SECRET_NAMES.has(n) || SECRET_SUFFIXES.some((s) => n.endsWith(s));
}

/** A copy of `value` with secret fields replaced, at any depth (bounded, so a cycle cannot loop). */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    // Counts and flags (`recovery_codes: 10`, `totp_secret: false`) say nothing secret and stay readable.
    const holdsData = typeof v === 'string' || (typeof v === 'object' && v !== null);
    out[k] = isSecretField(k) && holdsData ? REDACTED : redactSecrets(v, depth + 1);
  }
  return out;
}
