import { rename } from 'node:fs/promises';
import { forgetSecretBoxes, newSecretKey, SecretBox, secretBoxFor, writeKeyFile } from '../../auth/secret-box.ts';
import type { Config } from '../../config/index.ts';
import { createDb, migrateDb } from '../../db/index.ts';
import { readServerKeyFile, writeServerKeyFile } from '../../wireguard/server-key.ts';
import { resealSecrets } from './at-rest.ts';

/**
 * `gatehouse secrets rotate`, with the server stopped: a new key; every secret in the database re-encrypted in
 * one transaction, and the server's WireGuard key file. The new key goes to `secret.key.next` first and
 * replaces `secret.key` only after the transaction committed, so a failure leaves the old key and old rows.
 * With GATEHOUSE_SECRET_KEY the new key is returned for the operator to set instead.
 */
export async function rotateSecretKey(
  config: Config,
): Promise<{ secrets: number; keyFile: string | undefined; newKey: string }> {
  const from = secretBoxFor(config);
  const key = newSecretKey();
  const to = new SecretBox(key);
  const fromEnv = config.secrets.key !== undefined;
  const next = `${config.secrets.keyFile}.next`;
  if (!fromEnv) writeKeyFile(next, key, 'w');
  const serverKey = await readServerKeyFile(config.dataDir, from);
  const handle = createDb(config.db);
  let secrets: number;
  try {
    await migrateDb(handle);
    secrets = await resealSecrets(handle.db, from, to);
  } finally {
    handle.close();
  }
  if (serverKey !== undefined) await writeServerKeyFile(config.dataDir, serverKey, to);
  if (!fromEnv) await rename(next, config.secrets.keyFile);
  forgetSecretBoxes();
  return { secrets, keyFile: fromEnv ? undefined : config.secrets.keyFile, newKey: key.toString('base64') };
}
