import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isSealed, type SecretBox } from '../auth/secret-box.ts';
import { generateKeyPair, isWireGuardKey, type KeyPair, publicKeyFromPrivate } from './keys.ts';

/**
 * The server's WireGuard key lives in `<data dir>/wireguard/server.key` (directory 0700, file 0600: `umask
 * 077` semantics whatever the process umask is), sealed with the secret key like every secret at rest
 * (src/auth/secret-box.ts). It is made once, survives restarts (clients pin the public key), and is never
 * logged or returned by the API: only the public key leaves this module. A plaintext file from an older
 * version is sealed on the first start that reads it.
 */
export function serverKeyPath(dataDir: string): string {
  return path.join(dataDir, 'wireguard', 'server.key');
}

/** Replaces the file's content atomically (a crash leaves the old or the new content, never half). */
export async function writeServerKeyFile(dataDir: string, privateKey: string, box: SecretBox): Promise<void> {
  const file = serverKeyPath(dataDir);
  const next = `${file}.next`;
  await writeFile(next, `${box.seal(privateKey)}\n`, { mode: 0o600 });
  await chmod(next, 0o600);
  await rename(next, file);
}

/** The private key in the file, opened with `box`; undefined when there is no file. */
export async function readServerKeyFile(dataDir: string, box: SecretBox): Promise<string | undefined> {
  const file = serverKeyPath(dataDir);
  let stored: string;
  try {
    stored = (await readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const key = isSealed(stored) ? box.open(stored) : stored;
  if (!isWireGuardKey(key)) throw new Error(`${file} does not hold a WireGuard private key (base64 of 32 bytes)`);
  return key;
}

export async function loadOrCreateServerKey(dataDir: string, box: SecretBox): Promise<KeyPair & { created: boolean }> {
  const file = serverKeyPath(dataDir);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await chmod(path.dirname(file), 0o700);
  const existing = await readServerKeyFile(dataDir, box);
  if (existing !== undefined) {
    if (!isSealed((await readFile(file, 'utf8')).trim())) await writeServerKeyFile(dataDir, existing, box);
    // Someone may have copied the file in with wider permissions; a private key is owner-only.
    if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
    return { privateKey: existing, publicKey: publicKeyFromPrivate(existing), created: false };
  }
  const pair = generateKeyPair();
  // `wx`: never overwrite a key another process created a moment ago; mode 0600 from the first byte.
  await writeFile(file, `${box.seal(pair.privateKey)}\n`, { flag: 'wx', mode: 0o600 });
  return { ...pair, created: true };
}
