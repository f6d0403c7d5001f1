import { eq, sql } from 'drizzle-orm';
import { isSealed, type SecretBox } from '../../auth/secret-box.ts';
import type { Db, DbOrTx } from '../../db/index.ts';
import { adminUsers, alertChannels, identityProviders, peers, routeAuthUsers } from '../../db/schema/index.ts';

/** Every column that holds a secret at rest (SECURITY.md, "Keys and rotation"). */
const COLUMNS = [
  { table: adminUsers, column: adminUsers.totpSecret, field: 'totpSecret' },
  { table: routeAuthUsers, column: routeAuthUsers.totpSecret, field: 'totpSecret' },
  { table: peers, column: peers.privateKey, field: 'privateKey' },
  { table: alertChannels, column: alertChannels.secrets, field: 'secrets' },
  { table: identityProviders, column: identityProviders.clientSecret, field: 'clientSecret' },
] as const;

interface StoredSecret {
  target: (typeof COLUMNS)[number];
  id: number;
  value: string;
}

async function storedSecrets(db: DbOrTx): Promise<StoredSecret[]> {
  const found: StoredSecret[] = [];
  for (const target of COLUMNS) {
    const rows = await db.select({ id: target.table.id, value: target.column }).from(target.table);
    for (const row of rows) if (row.value !== null) found.push({ target, id: row.id, value: row.value });
  }
  return found;
}

async function store(tx: DbOrTx, secret: StoredSecret, value: string): Promise<void> {
  const { table, field } = secret.target;
  await tx
    .update(table)
    .set({ [field]: value })
    .where(eq(table.id, secret.id));
}

/**
 * At start: proves the key opens every sealed secret (a wrong key throws SecretKeyError before anything is
 * written), then seals the plaintext ones an older database holds, in one transaction. Returns how many it sealed.
 */
export async function sealSecretsAtRest(db: Db, box: SecretBox): Promise<number> {
  const secrets = await storedSecrets(db);
  for (const s of secrets) if (isSealed(s.value)) box.open(s.value);
  const plain = secrets.filter((s) => !isSealed(s.value));
  if (plain.length === 0) return 0;
  await db.transaction(async (tx) => {
    for (const s of plain) await store(tx, s, box.seal(s.value));
  });
  await scrubOldPages(db);
  return plain.length;
}

/**
 * The values just replaced still sit in freed pages and in old WAL frames: write the WAL back, rebuild the file
 * without free pages, and truncate the WAL, so the file holds no old plaintext (or old-key ciphertext).
 */
async function scrubOldPages(db: Db): Promise<void> {
  await db.run(sql.raw('PRAGMA wal_checkpoint(TRUNCATE)'));
  await db.run(sql.raw('VACUUM'));
  await db.run(sql.raw('PRAGMA wal_checkpoint(TRUNCATE)'));
}

/** `gatehouse secrets rotate`: opens every secret with `from` and seals it with `to`, in one transaction. */
export async function resealSecrets(db: Db, from: SecretBox, to: SecretBox): Promise<number> {
  const count = await db.transaction(async (tx) => {
    const secrets = await storedSecrets(tx);
    for (const s of secrets) await store(tx, s, to.seal(isSealed(s.value) ? from.open(s.value) : s.value));
    return secrets.length;
  });
  await scrubOldPages(db);
  return count;
}
