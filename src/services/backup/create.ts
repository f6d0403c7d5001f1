import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { type Client, createClient } from '@libsql/client';
import { secretBoxFor } from '../../auth/secret-box.ts';
import { PROXY_SECRET_FILE } from '../../caddy/proxy-secret.ts';
import type { Config } from '../../config/index.ts';
import { AppError } from '../../errors.ts';
import { type BackupManifest, sealBackup } from './archive.ts';

export const BACKUP_DB_FILE = 'gatehouse.db';
export const BACKUP_KEY_FILE = 'secret.key';

/**
 * A consistent copy of the live database while writes go on: `VACUUM INTO` runs as ONE read transaction of
 * SQLite, so in WAL mode it copies exactly the last commit before it began, whatever commits after (writers
 * are not blocked; the copy is also compacted). The copy plus the secret key (without it, the peers' private
 * keys and TOTP secrets in the copy cannot be opened) and Caddy's proxy secret, sealed with the passphrase.
 */
export async function takeBackup({
  client,
  config,
  now,
  passphrase,
  workFactor,
}: {
  client: Client;
  config: Config;
  now: Date;
  passphrase: string;
  workFactor?: number;
}): Promise<{ data: Uint8Array; manifest: Pick<BackupManifest, 'config_version' | 'created_at'> }> {
  if (client.protocol !== 'file')
    throw new AppError(
      'bad_request',
      'backups copy the embedded database (GATEHOUSE_DB_URL file:…); back up a libSQL server with its own tools',
    );
  const copy = path.join(config.dataDir, `.backup-${process.pid}-${randomBytes(6).toString('hex')}.db`);
  try {
    await client.execute({ sql: 'VACUUM INTO ?', args: [copy] });
    const db = await readFile(copy);
    const configVersion = await versionOf(copy);
    const files = [
      { name: BACKUP_DB_FILE, data: db },
      { name: BACKUP_KEY_FILE, data: Buffer.from(await secretKeyText(config)) },
    ];
    const proxySecret = path.join(config.dataDir, PROXY_SECRET_FILE);
    if (existsSync(proxySecret)) files.push({ name: PROXY_SECRET_FILE, data: await readFile(proxySecret) });
    const data = await sealBackup(files, { createdAt: now, configVersion }, passphrase, workFactor);
    return { data, manifest: { config_version: configVersion, created_at: now.toISOString() } };
  } finally {
    await rm(copy, { force: true });
  }
}

/** The key that opens the secrets at rest: GATEHOUSE_SECRET_KEY when set, else the key file (src/auth/secret-box.ts). */
async function secretKeyText(config: Config): Promise<string> {
  if (config.secrets.key) return `${config.secrets.key.trim()}\n`;
  secretBoxFor(config); // creates the key file on an install that never sealed anything yet
  return readFile(config.secrets.keyFile, 'utf8');
}

async function versionOf(file: string): Promise<number> {
  const copy = createClient({ url: `file:${file}` });
  try {
    const rs = await copy.execute("SELECT value FROM settings WHERE key = 'config_version'");
    const value = rs.rows[0]?.value;
    return value === undefined || value === null ? 0 : Number(value);
  } finally {
    copy.close();
  }
}
