import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import {
  forgetSecretBoxes,
  newSecretKey,
  readKeyFile,
  SecretBox,
  SecretKeyError,
  secretBoxFor,
  writeKeyFile,
} from '../../auth/secret-box.ts';
import type { Config } from '../../config/index.ts';
import { createDb, migrateDb } from '../../db/index.ts';
import { readServerKeyFile, writeServerKeyFile } from '../../wireguard/server-key.ts';
import { resealSecrets } from './at-rest.ts';

/** Where a rotation keeps the new key until it is finished. */
export function pendingKeyFile(config: Pick<Config, 'secrets'>): string {
  return `${config.secrets.keyFile}.next`;
}

/** Refuses to start in the middle of a rotation: the fix is to run the rotation again, which finishes it. */
export function assertNoPendingRotation(config: Pick<Config, 'secrets'>): void {
  if (config.secrets.key === undefined && existsSync(pendingKeyFile(config))) {
    throw new SecretKeyError(
      `${pendingKeyFile(config)} exists: a key rotation was cut short. Run \`gatehouse secrets rotate\` again to finish it (nothing is lost: both keys are kept until then).`,
    );
  }
}

/**
 * `gatehouse secrets rotate`, with the server stopped: a new key; every secret in the database re-encrypted in
 * one transaction, and the server's WireGuard key file. The new key goes to `secret.key.next` first and
 * replaces `secret.key` only after everything is sealed with it. Every step can be cut short and repeated:
 * while `secret.key.next` exists, values sealed with either key open (the box knows both), and running the
 * rotation again picks up the same new key and finishes. With GATEHOUSE_SECRET_KEY the new key is returned
 * for the operator to set instead.
 */
export async function rotateSecretKey(
  config: Config,
): Promise<{ secrets: number; keyFile: string | undefined; newKey: string }> {
  const fromEnv = config.secrets.key !== undefined;
  const next = pendingKeyFile(config);
  const resumed = fromEnv ? undefined : readKeyFile(next);
  const key = resumed ?? newSecretKey();
  const current = secretBoxFor(config);
  const oldKey = fromEnv ? undefined : readKeyFile(config.secrets.keyFile);
  // Opens what either key sealed; seals nothing (resealing goes through `to`).
  const from = resumed && oldKey ? new SecretBox(oldKey, [key]) : current;
  const to = new SecretBox(key);
  if (!fromEnv && !resumed) writeKeyFile(next, key, 'w');
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
