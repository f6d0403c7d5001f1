// Alert channel secrets are secrets at rest: sealed in the database and re-encrypted by `gatehouse secrets rotate`.
// Real: a libSQL temp-file database, the secret box with its key file, the rotation.
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { forgetSecretBoxes, isSealed } from '../../src/auth/secret-box.ts';
import { alertChannels } from '../../src/db/schema/index.ts';
import { createChannel, openChannel } from '../../src/services/alerts/channels.ts';
import { rotateSecretKey } from '../../src/services/secrets/rotate.ts';
import { systemContext, testDb } from '../helpers/env.ts';

let db: Awaited<ReturnType<typeof testDb>> | undefined;
afterEach(() => {
  db?.cleanup();
  forgetSecretBoxes();
});

describe('alert channel secrets at rest', () => {
  it('are sealed, never in the clear, and survive a key rotation', async () => {
    db = await testDb();
    const ctx = systemContext(db);
    const created = await createChannel({
      ctx,
      input: {
        name: 'pager',
        enabled: true,
        config: {
          kind: 'email',
          host: 'smtp.example.com',
          port: 587,
          tls: 'starttls',
          user: 'u',
          password: 'smtp-password-42',
          from: 'a@example.com',
          to: ['b@example.com'],
        },
      },
    });
    const read = async () => (await db!.db.select().from(alertChannels).where(eq(alertChannels.id, created.id)))[0]!;
    const before = await read();
    expect(isSealed(before.secrets!)).toBe(true);
    expect(JSON.stringify(before)).not.toContain('smtp-password-42');

    db.close();
    const result = await rotateSecretKey(db.config);
    expect(result.secrets).toBeGreaterThanOrEqual(1);
    const { createDb } = await import('../../src/db/index.ts');
    const handle = createDb(db.config.db);
    try {
      const [after] = await handle.db.select().from(alertChannels).where(eq(alertChannels.id, created.id));
      expect(after!.secrets).not.toBe(before.secrets);
      expect(openChannel({ config: db.config }, after!)).toMatchObject({ password: 'smtp-password-42' });
    } finally {
      handle.close();
    }
  });
});
