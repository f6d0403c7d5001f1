// Real: the server key file in a temp directory (permissions, reuse, repair). Simulated: nothing.
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newSecretKey, SecretBox } from '../../src/auth/secret-box.ts';
import { publicKeyFromPrivate } from '../../src/wireguard/keys.ts';
import { loadOrCreateServerKey, serverKeyPath } from '../../src/wireguard/server-key.ts';
import { tempDir } from '../helpers/env.ts';

const box = new SecretBox(newSecretKey());
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('loadOrCreateServerKey', () => {
  it('creates an owner-only key once and reuses it', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const first = await loadOrCreateServerKey(dir, box);
    expect(first.created).toBe(true);
    const file = serverKeyPath(dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    // Sealed at rest (issue 13 item 14): the file does not show the key.
    expect(readFileSync(file, 'utf8')).not.toContain(first.privateKey);
    expect(box.open(readFileSync(file, 'utf8').trim())).toBe(first.privateKey);
    const second = await loadOrCreateServerKey(dir, box);
    expect(second).toEqual({ ...first, created: false });
    expect(publicKeyFromPrivate(second.privateKey)).toBe(first.publicKey);
  });

  it('tightens a key file that was copied in world-readable', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    await loadOrCreateServerKey(dir, box);
    chmodSync(serverKeyPath(dir), 0o644);
    await loadOrCreateServerKey(dir, box);
    expect(statSync(serverKeyPath(dir)).mode & 0o777).toBe(0o600);
  });

  it('refuses a file that is not a key instead of replacing it', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    await loadOrCreateServerKey(dir, box);
    writeFileSync(serverKeyPath(dir), 'garbage\n');
    await expect(loadOrCreateServerKey(dir, box)).rejects.toThrow(/does not hold a WireGuard private key/);
  });
});
