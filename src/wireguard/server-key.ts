import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateKeyPair, isWireGuardKey, type KeyPair, publicKeyFromPrivate } from './keys.ts';

/**
 * The server's WireGuard key lives in `<data dir>/wireguard/server.key` (directory 0700, file 0600: `umask
 * 077` semantics whatever the process umask is). It is made once, survives restarts (clients pin the public
 * key), and is never logged or returned by the API: only the public key leaves this module.
 */
export function serverKeyPath(dataDir: string): string {
  return path.join(dataDir, 'wireguard', 'server.key');
}

export async function loadOrCreateServerKey(dataDir: string): Promise<KeyPair & { created: boolean }> {
  const file = serverKeyPath(dataDir);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await chmod(path.dirname(file), 0o700);
  let existing: string | undefined;
  try {
    existing = (await readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (existing !== undefined) {
    if (!isWireGuardKey(existing))
      throw new Error(`${file} does not hold a WireGuard private key (base64 of 32 bytes)`);
    // Someone may have copied the file in with wider permissions; a private key is owner-only.
    if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
    return { privateKey: existing, publicKey: publicKeyFromPrivate(existing), created: false };
  }
  const pair = generateKeyPair();
  // `wx`: never overwrite a key another process created a moment ago; mode 0600 from the first byte.
  await writeFile(file, `${pair.privateKey}\n`, { flag: 'wx', mode: 0o600 });
  return { ...pair, created: true };
}
