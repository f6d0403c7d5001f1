import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { errorResponse } from '../../src/http/errors.ts';

/** A driver error as drizzle hands it on: its own error whose cause carries libSQL's code. */
function wrapped(code: string, message: string): Error {
  const driver = Object.assign(new Error(message), { code });
  return new Error('Failed query: insert into routes …', { cause: driver });
}

async function answerTo(err: Error) {
  const app = new Hono();
  app.get('/', () => {
    throw err;
  });
  app.onError((e, c) => errorResponse(c, e));
  const res = await app.request('/');
  return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
}

describe('database errors through the one error model', () => {
  it("sqld ending a long write transaction (TRANSACTION_TIMEOUT) is a 503 to retry, not a 500 'internal'", async () => {
    const { status, body } = await answerTo(wrapped('TRANSACTION_TIMEOUT', 'Transaction timed out'));
    expect(status).toBe(503);
    expect(body.error.code).toBe('database_busy');
    expect(body.error.message).toMatch(/nothing was saved, try again/);
  });

  it('a busy lock is a 503 too, and an unknown driver error stays internal without its text', async () => {
    expect((await answerTo(wrapped('SQLITE_BUSY', 'database is locked'))).status).toBe(503);
    const other = await answerTo(wrapped('SQLITE_CORRUPT', 'secret detail'));
    expect(other.status).toBe(500);
    expect(JSON.stringify(other.body)).not.toMatch(/secret detail/);
  });
});
