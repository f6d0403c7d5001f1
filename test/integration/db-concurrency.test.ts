// Real: libSQL temp-file database, drizzle transactions, the token service. Simulated: nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTokens } from '../../src/db/schema/index.ts';
import { createToken } from '../../src/services/tokens/create.ts';
import { systemContext, testDb } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testDb>>;
beforeAll(async () => {
  env = await testDb();
});
afterAll(() => env.cleanup());

describe('concurrent writes', () => {
  it('queue instead of failing with SQLITE_BUSY', async () => {
    const ctx = systemContext(env);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => createToken({ ctx, input: { name: `t${i}`, scope: 'read' } })),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed.map((f) => String((f as PromiseRejectedResult).reason))).toEqual([]);
    expect(await env.db.$count(apiTokens)).toBe(50);
  });

  it('a failing transaction does not block the ones queued behind it', async () => {
    const ctx = systemContext(env);
    const boom = env.db.transaction(async () => {
      throw new Error('boom');
    });
    const after = createToken({ ctx, input: { name: 'after', scope: 'read' } });
    await expect(boom).rejects.toThrow('boom');
    await expect(after).resolves.toMatchObject({ name: 'after' });
  });
});
