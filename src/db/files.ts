import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';

/**
 * Owner-only files (SECURITY.md): the data dir 0700, the database and its WAL, SHM and journal 0600. The
 * database file is created 0600 before SQLite opens it, and SQLite gives the WAL and SHM files the mode of the
 * database file, so files made later are owner-only too; existing ones (an older install) are tightened here.
 */
export function secureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

export function secureDatabaseFiles(url: string): void {
  if (!url.startsWith('file:')) return;
  const file = url.slice('file:'.length).split('?')[0]!;
  secureDataDir(path.dirname(file));
  closeSync(openSync(file, 'a', 0o600));
  for (const suffix of ['', '-wal', '-shm', '-journal']) {
    try {
      chmodSync(`${file}${suffix}`, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
