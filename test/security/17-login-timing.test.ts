// Item 17: an admin login's timing does not tell whether the user name exists: an unknown name costs the same
// argon2 verification (against a dummy hash with the same parameters) as a known name with a wrong password.
// Real: the admin login service, argon2 (@node-rs/argon2, wrapped only to count calls), a libSQL temp file.
// Simulated: nothing else; the timing check is coarse (ratio of medians) so a loaded machine does not flake it.
import * as argon2 from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { UnauthorizedError } from '../../src/errors.ts';
import { bootstrapAdmin } from '../../src/services/admin/bootstrap.ts';
import { login } from '../../src/services/sessions/index.ts';
import { systemContext, testDb } from '../helpers/env.ts';

vi.mock('@node-rs/argon2', async (importOriginal) => {
  const original = await importOriginal<typeof import('@node-rs/argon2')>();
  return { ...original, verify: vi.fn(original.verify) };
});

let db: Awaited<ReturnType<typeof testDb>>;
beforeAll(async () => {
  db = await testDb();
  await bootstrapAdmin({ ctx: systemContext(db) });
});
afterAll(() => db?.cleanup());

async function failedLogin(username: string): Promise<number> {
  const started = performance.now();
  await expect(login({ ctx: systemContext(db), input: { username, password: 'not the password' } })).rejects.toThrow(
    UnauthorizedError,
  );
  return performance.now() - started;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('admin login timing', () => {
  it('verifies a password hash for an unknown user too', async () => {
    const verify = vi.mocked(argon2.verify);
    await failedLogin('admin'); // warm up
    await failedLogin('nobody-warmup');
    verify.mockClear();
    await failedLogin('nobody');
    expect(verify).toHaveBeenCalledTimes(1);
    const [hash] = verify.mock.calls[0]!;
    // Same algorithm and cost as real hashes (src/auth/passwords.ts).
    expect(String(hash)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('takes about as long for an unknown user as for a known one with a wrong password', async () => {
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 15; i++) {
      known.push(await failedLogin('admin'));
      unknown.push(await failedLogin(`nobody-${i}`));
    }
    const ratio = median(known) / median(unknown);
    expect(ratio, `known ${median(known).toFixed(1)} ms, unknown ${median(unknown).toFixed(1)} ms`).toBeGreaterThan(
      0.6,
    );
    expect(ratio).toBeLessThan(1.6);
  });
});
