import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROXY_SECRET_FILE } from '../../caddy/proxy-secret.ts';
import type { Config } from '../../config/index.ts';
import { createDb, migrateDb } from '../../db/index.ts';
import { ValidationError } from '../../errors.ts';
import { type BackupManifest, openBackup } from './archive.ts';
import { BACKUP_DB_FILE, BACKUP_KEY_FILE } from './create.ts';

/**
 * Puts a backup in place in an empty data dir (refuses one that holds anything: a restore never merges
 * into or overwrites a live installation). The database is opened and migrated once, so a backup from an
 * older version is brought up to date and a bad file is found now rather than at the next start.
 */
export async function restoreBackup({
  config,
  sealed,
  passphrase,
}: {
  config: Config;
  sealed: Uint8Array;
  passphrase: string;
}): Promise<BackupManifest> {
  if (!config.db.url.startsWith('file:'))
    throw new ValidationError([
      { field: 'GATEHOUSE_DB_URL', message: 'restore writes the embedded database (file:…)' },
    ]);
  let entries: string[] = [];
  try {
    entries = readdirSync(config.dataDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (entries.length > 0)
    throw new ValidationError([
      {
        field: 'data_dir',
        message: `${config.dataDir} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}); restore only into an empty data dir`,
      },
    ]);
  const { manifest, files } = await openBackup(sealed, passphrase);
  const db = files.get(BACKUP_DB_FILE);
  const key = files.get(BACKUP_KEY_FILE);
  if (!db || !key)
    throw new ValidationError([{ field: 'file', message: 'the backup lacks the database or the secret key' }]);
  if (config.secrets.key && config.secrets.key.trim() !== Buffer.from(key).toString().trim())
    throw new ValidationError([
      {
        field: 'GATEHOUSE_SECRET_KEY',
        message:
          'differs from the key in the backup; unset it (the backup restores its key file) or set it to that key',
      },
    ]);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const dbFile = config.db.url.slice('file:'.length);
  mkdirSync(path.dirname(dbFile), { recursive: true, mode: 0o700 });
  writeFileSync(dbFile, db, { mode: 0o600, flag: 'wx' });
  mkdirSync(path.dirname(config.secrets.keyFile), { recursive: true, mode: 0o700 });
  writeFileSync(config.secrets.keyFile, key, { mode: 0o600, flag: 'wx' });
  const proxySecret = files.get(PROXY_SECRET_FILE);
  if (proxySecret)
    writeFileSync(path.join(config.dataDir, PROXY_SECRET_FILE), proxySecret, { mode: 0o600, flag: 'wx' });
  const handle = createDb(config.db);
  try {
    const check = await handle.client.execute('PRAGMA integrity_check');
    if (check.rows[0]?.[0] !== 'ok')
      throw new ValidationError([
        { field: 'file', message: `the restored database is damaged: ${String(check.rows[0]?.[0])}` },
      ]);
    await migrateDb(handle);
  } finally {
    handle.close();
  }
  return manifest;
}
