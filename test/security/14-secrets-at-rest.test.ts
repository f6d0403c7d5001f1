// Issue 13 item 14: owner-only data dir and database files; WireGuard private keys and TOTP secrets encrypted at
// rest; a wrong key stops the start; `gatehouse secrets rotate` re-encrypts everything. Real: startServer (Caddy
// and WireGuard off), the services, the libSQL file, the key file. Simulated: nothing.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createClient } from '@libsql/client';
import { afterEach, describe, expect, it } from 'vitest';
import { forgetSecretBoxes, newSecretKey, SecretBox, SecretKeyError, writeKeyFile } from '../../src/auth/secret-box.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createDb } from '../../src/db/index.ts';
import { startServer } from '../../src/server.ts';
import { startTotpEnrollment } from '../../src/services/admin/totp.ts';
import { resealSecrets } from '../../src/services/secrets/at-rest.ts';
import { pendingKeyFile, rotateSecretKey } from '../../src/services/secrets/rotate.ts';
import { createToken } from '../../src/services/tokens/create.ts';
import { silentLogger, tempDir } from '../helpers/env.ts';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  forgetSecretBoxes();
});

function configFor(dir: string, extra: Record<string, string> = {}) {
  return loadConfig({
    GATEHOUSE_DATA_DIR: dir,
    GATEHOUSE_LISTEN: '127.0.0.1:0',
    GATEHOUSE_CADDY_ENABLED: 'false',
    GATEHOUSE_WG_ENABLED: 'false',
    GATEHOUSE_WG_ENDPOINT: 'vpn.example.com',
    GATEHOUSE_ADMIN_PASSWORD: 'correct horse battery staple',
    ...extra,
  });
}

/** Starts a server in `dir`, stores a peer private key and an admin TOTP secret, stops it; returns them. */
async function serverWithSecrets(dir: string) {
  const config = configFor(dir);
  const server = await startServer({ config, logger: silentLogger });
  const ctx = {
    db: server.db,
    config,
    logger: silentLogger,
    now: () => new Date(),
    actor: { kind: 'system' as const },
  };
  const token = (await createToken({ ctx, input: { name: 't', scope: 'admin' } })).token;
  const api = (method: string, url: string, body?: unknown) =>
    fetch(`${server.url}/api/v1${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const created = await api('POST', '/peers', { name: 'laptop' });
  expect(created.status).toBe(201);
  const peerId = ((await created.json()) as { id: number }).id;
  const conf = await (await api('GET', `/peers/${peerId}/config`)).text();
  const privateKey = /PrivateKey = ([A-Za-z0-9+/]{43}=)/.exec(conf)![1]!;
  const [row] = await server.db.query.peers.findMany();
  const enrollment = await startTotpEnrollment({
    ctx: { ...ctx, actor: { kind: 'admin', id: 1, username: 'admin', role: 'owner' } },
  });
  await server.stop();
  return { config, privateKey, storedKey: row!.privateKey!, totpSecret: enrollment.secret };
}

function rawDatabase(dir: string): string {
  return ['gatehouse.db', 'gatehouse.db-wal']
    .map((f) => {
      try {
        return readFileSync(path.join(dir, f)).toString('latin1');
      } catch {
        return '';
      }
    })
    .join('');
}

describe('item 14: secrets at rest', () => {
  it('makes the data dir 0700 and every database file and the key file 0600', async () => {
    const { dir: base, cleanup } = tempDir();
    cleanups.push(cleanup);
    const dir = path.join(base, 'data');
    await serverWithSecrets(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir).filter((f) => f.startsWith('gatehouse.db') || f === 'secret.key');
    expect(files).toEqual(expect.arrayContaining(['gatehouse.db', 'secret.key']));
    for (const f of files) expect([f, statSync(path.join(dir, f)).mode & 0o777]).toEqual([f, 0o600]);
  });

  it('stores no WireGuard private key or TOTP secret in plain text', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const { storedKey, totpSecret, privateKey } = await serverWithSecrets(dir);
    expect(storedKey.startsWith('enc:v1:')).toBe(true);
    const raw = rawDatabase(dir);
    expect(raw).toContain('enc:v1:');
    expect(raw).not.toContain(totpSecret);
    // The peer's private key, as its client config shows it, is nowhere in the file.
    expect(raw).not.toContain(privateKey);
  });

  it('round-trips, and refuses a wrong key with a clear error', () => {
    const box = new SecretBox(newSecretKey());
    const sealed = box.seal('JBSWY3DPEHPK3PXP');
    expect(sealed).toMatch(/^enc:v1:[0-9a-f]{8}:/);
    expect(box.open(sealed)).toBe('JBSWY3DPEHPK3PXP');
    expect(() => new SecretBox(newSecretKey()).open(sealed)).toThrow(SecretKeyError);
    expect(() => new SecretBox(newSecretKey()).open(sealed)).toThrow(/wrong secret.key or GATEHOUSE_SECRET_KEY/);
  });

  it('seals plaintext rows of an older database at start', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    await serverWithSecrets(dir);
    const client = createClient({ url: `file:${path.join(dir, 'gatehouse.db')}` });
    await client.execute("UPDATE admin_users SET totp_secret = 'JBSWY3DPEHPK3PXP'");
    client.close();
    const server = await startServer({ config: configFor(dir), logger: silentLogger });
    await server.stop();
    expect(rawDatabase(dir)).not.toContain('JBSWY3DPEHPK3PXP');
  });

  it('stops the start on a wrong key and overwrites nothing', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    await serverWithSecrets(dir);
    const keyFile = readFileSync(path.join(dir, 'secret.key'), 'utf8');
    const before = rawDatabase(dir).match(/enc:v1:[^\0]{20}/g);
    const wrong = newSecretKey().toString('base64');
    await expect(
      startServer({ config: configFor(dir, { GATEHOUSE_SECRET_KEY: wrong }), logger: silentLogger }),
    ).rejects.toThrow(/wrong secret.key or GATEHOUSE_SECRET_KEY/);
    expect(readFileSync(path.join(dir, 'secret.key'), 'utf8')).toBe(keyFile);
    expect(rawDatabase(dir).match(/enc:v1:[^\0]{20}/g)).toEqual(before);
  });

  it('rotates: a new key re-encrypts every secret and the old key no longer opens them', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const { config, storedKey } = await serverWithSecrets(dir);
    const oldKey = readFileSync(path.join(dir, 'secret.key'), 'utf8').trim();
    const result = await rotateSecretKey(config);
    expect(result.secrets).toBe(2);
    const newKey = readFileSync(path.join(dir, 'secret.key'), 'utf8').trim();
    expect(newKey).not.toBe(oldKey);
    expect(statSync(path.join(dir, 'secret.key')).mode & 0o777).toBe(0o600);

    const server = await startServer({ config, logger: silentLogger });
    const [row] = await server.db.query.peers.findMany();
    await server.stop();
    expect(row!.privateKey).not.toBe(storedKey);
    const oldBox = new SecretBox(Buffer.from(oldKey, 'base64'));
    const newBox = new SecretBox(Buffer.from(newKey, 'base64'));
    expect(newBox.open(row!.privateKey!)).toBe(oldBox.open(storedKey));
    expect(() => oldBox.open(row!.privateKey!)).toThrow(SecretKeyError);
    forgetSecretBoxes();
    await expect(
      startServer({ config: configFor(dir, { GATEHOUSE_SECRET_KEY: oldKey }), logger: silentLogger }),
    ).rejects.toThrow(SecretKeyError);
  });

  it('finishes a rotation that was cut short after the database commit, losing nothing', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const { config, storedKey } = await serverWithSecrets(dir);
    const oldKey = Buffer.from(readFileSync(path.join(dir, 'secret.key'), 'utf8').trim(), 'base64');
    const plain = new SecretBox(oldKey).open(storedKey);
    // The crash: the new key written to secret.key.next and the rows resealed with it, then the process died
    // before the server's key file and secret.key were replaced.
    const newKey = newSecretKey();
    writeKeyFile(pendingKeyFile(config), newKey, 'w');
    const handle = createDb(config.db);
    await resealSecrets(handle.db, new SecretBox(oldKey), new SecretBox(newKey));
    handle.close();

    // The server refuses to start half-way and says how to finish.
    await expect(startServer({ config, logger: silentLogger })).rejects.toThrow(
      /run `gatehouse secrets rotate` again/i,
    );
    // Running the rotation again finishes it with the same new key.
    const result = await rotateSecretKey(config);
    expect(result.secrets).toBe(2);
    expect(existsSync(pendingKeyFile(config))).toBe(false);
    expect(readFileSync(path.join(dir, 'secret.key'), 'utf8').trim()).toBe(newKey.toString('base64'));
    forgetSecretBoxes();
    const server = await startServer({ config, logger: silentLogger });
    const [row] = await server.db.query.peers.findMany();
    await server.stop();
    expect(new SecretBox(newKey).open(row!.privateKey!)).toBe(plain);
  });
});
