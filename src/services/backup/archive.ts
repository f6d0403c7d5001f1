import { createHash } from 'node:crypto';
import { Decrypter, Encrypter } from 'age-encryption';
import { ValidationError } from '../../errors.ts';

/**
 * The backup file: an age file (https://age-encryption.org, passphrase recipient: scrypt) whose plaintext is
 * a header line, a JSON manifest line and the files' bytes one after another. age authenticates every 64 KiB
 * chunk and marks the last one, so a truncated or altered file fails to decrypt instead of restoring half a
 * database; the manifest's SHA-256 per file checks the unpacking on top.
 */
export const BACKUP_MAGIC = 'GATEHOUSE-BACKUP 1';
/** Passphrases shorter than this are refused when a backup is made (scrypt slows guessing, it cannot save "1234"). */
export const MIN_PASSPHRASE_LENGTH = 12;
/** Bigger backups are refused on restore before anything is decrypted into memory. */
export const MAX_BACKUP_BYTES = 2 * 1024 * 1024 * 1024 - 1;

export interface BackupManifest {
  format: 'gatehouse-backup';
  version: 1;
  created_at: string;
  config_version: number;
  files: { name: string; bytes: number; sha256: string }[];
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

export async function sealBackup(
  files: { name: string; data: Uint8Array }[],
  meta: { createdAt: Date; configVersion: number },
  passphrase: string,
  /** scrypt's log2 N: age's default (18) unless a test asks for less. */
  workFactor?: number,
): Promise<Uint8Array> {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH)
    throw new ValidationError([
      { field: 'passphrase', message: `must be at least ${MIN_PASSPHRASE_LENGTH} characters` },
    ]);
  const manifest: BackupManifest = {
    format: 'gatehouse-backup',
    version: 1,
    created_at: meta.createdAt.toISOString(),
    config_version: meta.configVersion,
    files: files.map((f) => ({ name: f.name, bytes: f.data.byteLength, sha256: sha256(f.data) })),
  };
  const head = Buffer.from(`${BACKUP_MAGIC}\n${JSON.stringify(manifest)}\n`);
  const plain = Buffer.concat([head, ...files.map((f) => f.data)]);
  const encrypter = new Encrypter();
  encrypter.setPassphrase(passphrase);
  if (workFactor !== undefined) encrypter.setScryptWorkFactor(workFactor);
  return encrypter.encrypt(plain);
}

const damaged = (why: string) =>
  new ValidationError([{ field: 'file', message: `is not a usable Gatehouse backup: ${why}` }]);

/** Decrypts and unpacks; a wrong passphrase, a damaged or truncated file each get their own clear error. */
export async function openBackup(
  sealed: Uint8Array,
  passphrase: string,
): Promise<{ manifest: BackupManifest; files: Map<string, Uint8Array> }> {
  const decrypter = new Decrypter();
  decrypter.addPassphrase(passphrase);
  let plain: Uint8Array;
  try {
    plain = await decrypter.decrypt(sealed);
  } catch (err) {
    const message = (err as Error).message;
    if (/passphrase|identity|scrypt/i.test(message) && !/chunk|stream|truncat/i.test(message))
      throw new ValidationError([{ field: 'passphrase', message: 'does not open this backup (wrong passphrase?)' }]);
    throw damaged(`it does not decrypt (${message}); the file is damaged or truncated`);
  }
  const buffer = Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength);
  const first = buffer.indexOf(0x0a);
  const second = first < 0 ? -1 : buffer.indexOf(0x0a, first + 1);
  if (first < 0 || second < 0 || buffer.subarray(0, first).toString() !== BACKUP_MAGIC)
    throw damaged('no Gatehouse backup header');
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(buffer.subarray(first + 1, second).toString()) as BackupManifest;
  } catch {
    throw damaged('its manifest is not JSON');
  }
  if (manifest.format !== 'gatehouse-backup' || manifest.version !== 1 || !Array.isArray(manifest.files))
    throw damaged(`format ${JSON.stringify(manifest.format)} version ${JSON.stringify(manifest.version)} is unknown`);
  const files = new Map<string, Uint8Array>();
  let at = second + 1;
  for (const f of manifest.files) {
    if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(f.name) || !Number.isSafeInteger(f.bytes) || f.bytes < 0)
      throw damaged(`the manifest names a bad file ${JSON.stringify(f.name)}`);
    const data = buffer.subarray(at, at + f.bytes);
    if (data.byteLength !== f.bytes || sha256(data) !== f.sha256)
      throw damaged(`${f.name} does not match its checksum`);
    files.set(f.name, data);
    at += f.bytes;
  }
  if (at !== buffer.byteLength) throw damaged('bytes after the last file');
  return { manifest, files };
}
