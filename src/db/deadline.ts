import type { Client, InStatement, Transaction, TransactionMode } from '@libsql/client';
import { UnavailableError } from '../errors.ts';

/**
 * A deadline on every database call. With a remote database (a libSQL server, or an edge's embedded replica
 * that forwards its writes to the primary) a call can hang for as long as the network lets it: a write through
 * a replica whose primary is down never returns. Each call here answers within `deadlineMs` or fails with
 * `UnavailableError` (503 `unavailable`, the one error model of src/errors.ts), and so does a call that fails
 * because the server cannot be reached at all. A call cut off by the deadline may still complete on the server
 * later; it was never acknowledged, so a client that retries sees either its write or none (docs/scaling.md).
 *
 * Sits under the write queue (src/db/write-queue.ts): a hung write gives the queue back at its deadline.
 */
export interface DeadlineOptions {
  deadlineMs: number;
  /** Writes refused at once (an edge serving its replica file while the primary is down). */
  readOnly?: () => boolean;
  /**
   * Runs before a write starts and throws `UnavailableError` to refuse it. An edge's embedded replica forwards
   * writes inside the synchronous driver: with a primary that accepts connections but never answers (a frozen
   * machine) the forward blocks the whole event loop, where no deadline timer can fire. The edge asks the
   * primary first, asynchronously and within the deadline (src/db/edge-replica.ts).
   */
  beforeWrite?: () => Promise<void>;
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'HRANA_WEBSOCKET_ERROR',
  'HRANA_CLOSED_ERROR',
]);

/** True when the error chain says the database server could not be reached (not: it refused the statement). */
export function isUnreachable(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = String((e as { code?: unknown }).code ?? '');
    const message = String((e as { message?: unknown }).message ?? '');
    if (UNREACHABLE_CODES.has(code)) return true;
    if (/fetch failed|connection refused|error sending request|tcp connect error|Connection reset/i.test(message)) {
      return true;
    }
  }
  return false;
}

function unavailable(what: string, deadlineMs: number, cause?: unknown): UnavailableError {
  const err = new UnavailableError(
    cause === undefined
      ? `the database did not answer within ${deadlineMs} ms (${what}); the primary may be unreachable`
      : `the database cannot be reached (${what}); the primary may be down`,
  );
  if (cause !== undefined) (err as { cause?: unknown }).cause = cause;
  return err;
}

/** Runs `op` with a deadline; its late result (or error) is dropped, and `onLate` may clean up after it. */
export function withDeadline<T>(
  what: string,
  deadlineMs: number,
  op: () => Promise<T>,
  onLate?: (value: T) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(unavailable(what, deadlineMs));
    }, deadlineMs);
    let running: Promise<T>;
    try {
      running = op();
    } catch (err) {
      running = Promise.reject(err);
    }
    running.then(
      (value) => {
        if (settled) return onLate?.(value);
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(isUnreachable(err) ? unavailable(what, deadlineMs, err) : err);
      },
    );
  });
}

function isRead(stmt: InStatement): boolean {
  const sql = typeof stmt === 'string' ? stmt : stmt.sql;
  return /^\s*(select|with|explain)\b/i.test(sql) || /^\s*pragma\s+\w+\s*;?\s*$/i.test(sql);
}

function refuseWrite(): never {
  throw new UnavailableError('the primary database is unreachable: this edge serves its last copy read-only');
}

function deadlineTransaction(tx: Transaction, opts: DeadlineOptions): Transaction {
  const { deadlineMs } = opts;
  return new Proxy(tx, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === 'execute' || prop === 'batch' || prop === 'executeMultiple' || prop === 'commit') {
        return (...args: unknown[]) =>
          withDeadline(`transaction ${String(prop)}`, deadlineMs, () =>
            (value as (...a: unknown[]) => Promise<unknown>).apply(target, args),
          ).catch((err: unknown) => {
            // A transaction that missed its deadline is dead: close it so its connection (and lock) go back.
            if (err instanceof UnavailableError) target.close();
            throw err;
          });
      }
      if (prop === 'rollback') {
        return () => withDeadline('rollback', deadlineMs, () => target.rollback()).catch(() => target.close());
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Wraps a libSQL client so that no call outlives the deadline (see above). */
export function withDeadlines(client: Client, opts: DeadlineOptions): Client {
  const { deadlineMs } = opts;
  const readOnly = opts.readOnly ?? (() => false);
  const gate = async () => {
    if (readOnly()) refuseWrite();
    await opts.beforeWrite?.();
  };
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      switch (prop) {
        case 'execute':
          return async (stmt: InStatement, args?: unknown) => {
            if (!isRead(stmt)) await gate();
            return withDeadline('execute', deadlineMs, () => target.execute(stmt as never, args as never));
          };
        case 'batch':
          return async (stmts: InStatement[], mode?: TransactionMode) => {
            if (mode !== 'read') await gate();
            return withDeadline('batch', deadlineMs, () => target.batch(stmts, mode));
          };
        case 'migrate':
        case 'executeMultiple':
          return async (arg: never) => {
            await gate();
            return withDeadline(String(prop), deadlineMs, () =>
              (value as (a: never) => Promise<unknown>).call(target, arg),
            );
          };
        case 'transaction':
          return async (mode?: TransactionMode) => {
            if (mode !== 'read') await gate();
            const tx = await withDeadline(
              'begin',
              deadlineMs,
              () => target.transaction(mode),
              (late) => late.close(),
            );
            return deadlineTransaction(tx, opts);
          };
        default:
          return typeof value === 'function' ? value.bind(target) : value;
      }
    },
  });
}
