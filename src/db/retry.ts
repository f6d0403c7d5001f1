/**
 * Retries a write transaction that lost a race. Transactions are `BEGIN IMMEDIATE` (libSQL's "write"
 * mode): a second writer, in this process or another, fails at once with SQLITE_BUSY instead of waiting
 * (a busy wait would block Node's event loop, since the driver is synchronous). So concurrent writers
 * retry with jittered exponential backoff, bounded in attempts; `retryAlso` adds verb-specific cases
 * (e.g. an allocated address that another transaction took first).
 */
export interface RetryOptions {
  attempts?: number;
  retryAlso?: (err: unknown) => boolean;
}

function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

export function isBusyError(err: unknown): boolean {
  return causes(err).some((e) => {
    const code = (e as { code?: unknown }).code;
    return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'TRANSACTION_ACTIVE';
  });
}

/**
 * True when a libSQL server (sqld) ended an interactive transaction that held its write lock past its limit.
 * It was rolled back whole, so the caller may try again; it is not a busy lock to wait on here.
 */
export function isTransactionTimeout(err: unknown): boolean {
  return causes(err).some((e) => (e as { code?: unknown }).code === 'TRANSACTION_TIMEOUT');
}

/** True when the disk (or the file size limit) under the database is full: SQLITE_FULL, or ENOSPC on a WAL write. */
export function isStorageFull(err: unknown): boolean {
  return causes(err).some((e) => {
    const code = String((e as { code?: unknown }).code ?? '');
    const message = String((e as { message?: unknown }).message ?? '');
    return code.startsWith('SQLITE_FULL') || code === 'ENOSPC' || /database or disk is full/i.test(message);
  });
}

/** True for a UNIQUE violation, optionally on one `table.column`. */
export function isUniqueViolation(err: unknown, column?: string): boolean {
  return causes(err).some((e) => {
    const message = String((e as { message?: unknown }).message ?? '');
    return message.includes('UNIQUE constraint failed') && (column === undefined || message.includes(column));
  });
}

export async function withWriteRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 40;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const retryable = isBusyError(err) || (opts.retryAlso?.(err) ?? false);
      if (!retryable || attempt >= attempts) throw err;
      const ceiling = Math.min(100, 2 * 1.5 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, ceiling / 2 + Math.random() * (ceiling / 2)));
    }
  }
}
