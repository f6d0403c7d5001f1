import { readFile, stat } from 'node:fs/promises';
import { ValidationError } from '../../errors.ts';
import { MAX_BACKUP_BYTES } from './archive.ts';

/** A backup file from disk, refused before reading when it is larger than any backup we write. */
export async function readBackupFile(file: string): Promise<Uint8Array> {
  const info = await stat(file).catch((err: NodeJS.ErrnoException) => {
    throw new ValidationError([{ field: 'file', message: `${file} cannot be read (${err.code ?? err.message})` }]);
  });
  if (info.size > MAX_BACKUP_BYTES)
    throw new ValidationError([{ field: 'file', message: `${file} is larger than any Gatehouse backup (2 GiB)` }]);
  return readFile(file);
}
