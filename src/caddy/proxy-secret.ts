import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomSecret } from '../auth/secrets.ts';

/** File name of the secret in the data dir. */
export const PROXY_SECRET_FILE = 'caddy-proxy.secret';
const SHAPE = /^[\w-]{43}$/;

/**
 * The per-install secret Caddy sends with every request it forwards to the control plane, so the control
 * plane can tell Caddy's requests (whose client-address and scheme headers it believes) from anyone else's
 * (src/http/client.ts). Kept in a 0600 file in the data dir rather than made per process: a Caddy adopted
 * after a control-plane restart (src/caddy/supervisor.ts) still runs the static config built with it. A file
 * that does not hold a well-formed secret is replaced (the secret also lands in Caddy's JSON config, so only
 * base64url characters may reach it: no Caddy placeholder can be smuggled in).
 */
export function loadProxySecret(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, PROXY_SECRET_FILE);
  let existing: string | undefined;
  try {
    existing = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (existing !== undefined && SHAPE.test(existing)) {
    chmodSync(file, 0o600);
    return existing;
  }
  const secret = randomSecret(32);
  // Written aside and renamed, so a crash never leaves a half-written secret behind.
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${secret}\n`, { mode: 0o600 });
  renameSync(temp, file);
  return secret;
}
