import type { Client, InStatement, Transaction, TransactionMode } from '@libsql/client';
import { DatabaseBusyError } from '../errors.ts';
import { isBusyError } from './retry.ts';

/**
 * Every write of this process goes through one queue: transactions, single UPDATEs (status reports, last-seen,
 * token last-used), batches and migrations alike. SQLite has one writer; libSQL's file driver fails a second
 * one at once with SQLITE_BUSY (a busy wait would block the event loop: the driver is synchronous), so without
 * a queue a status report that lands during an API transaction answers 500. Waiting is bounded: a write that
 * cannot start within `maxWaitMs` (another process holds the lock, or the queue is that long) fails with
 * `DatabaseBusyError` (503 `database_busy`, Retry-After) having changed nothing. Reads never queue (WAL).
 *
 * Never write with the outer client from inside a transaction callback (use its `tx`): that write waits for
 * the transaction that waits for it, until `maxWaitMs` ends it with a 503.
 */
export interface WriteQueueOptions {
  /** How long one write may wait for its turn and for a lock held elsewhere, in total. */
  maxWaitMs: number;
  /** Told how long each call took, waiting included (the control plane's /metrics). */
  observe?: ((kind: DbCallKind, seconds: number) => void) | undefined;
}

export type DbCallKind = 'read' | 'write' | 'transaction';

/** Times a call for `observe`; without one, the call itself. */
function timed<T>(observe: WriteQueueOptions['observe'], kind: DbCallKind, op: () => Promise<T>): Promise<T> {
  if (!observe) return op();
  const start = performance.now();
  return op().finally(() => observe(kind, (performance.now() - start) / 1000));
}

export const DEFAULT_WRITE_WAIT_MS = 5_000;

/** A FIFO mutex whose waiters give up at their deadline. */
class WriteLock {
  #held = false;
  readonly #waiters: { grant: () => void }[] = [];

  acquire(waitMs: number): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new DatabaseBusyError('the database is busy: this write waited too long for its turn'));
      }, waitMs);
      this.#waiters.push(waiter);
    });
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next.grant();
    else this.#held = false;
  }
}

/** Statements that only read: they bypass the queue (WAL readers never block on the writer). */
function isRead(stmt: InStatement): boolean {
  const sql = typeof stmt === 'string' ? stmt : stmt.sql;
  return /^\s*(select|with|explain)\b/i.test(sql) || /^\s*pragma\s+\w+\s*;?\s*$/i.test(sql);
}

/** Runs `op` again while another connection (usually another process) holds the write lock, until `deadline`. */
async function untilUnlocked<T>(op: () => Promise<T>, deadline: number, afterBusy: () => Promise<void>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (!isBusyError(err)) throw err;
      await afterBusy();
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new DatabaseBusyError('the database is locked by another process; try again shortly', { cause: err });
      }
      const ceiling = Math.min(250, 5 * 1.5 ** attempt);
      await new Promise((r) => setTimeout(r, Math.min(remaining, ceiling / 2 + Math.random() * (ceiling / 2))));
    }
  }
}

/** A read that lost its connection to `afterBusy`'s reopen (not to close()) runs again once: reads are idempotent. */
async function reopenedOnce<T>(client: Client, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'CLIENT_CLOSED' || client.closed) throw err;
    return read();
  }
}

/** Wraps a libSQL client so that its writes take turns (see above). */
export function queueWrites(client: Client, opts: WriteQueueOptions): Client {
  const lock = new WriteLock();
  // A statement that failed with SQLITE_BUSY stays "in progress" on its pooled connection, and a later COMMIT
  // there fails ("cannot commit transaction - SQL statements in progress"). Reopening the pool drops those
  // connections. Safe here: the caller holds the write lock (no write transaction is open) and reads borrow a
  // connection only for the span of one synchronous call.
  const afterBusy = async () => {
    await client.reconnect();
  };
  const write = async <T>(op: () => Promise<T>): Promise<T> => {
    const deadline = Date.now() + opts.maxWaitMs;
    await lock.acquire(opts.maxWaitMs);
    try {
      // A single statement or batch is atomic, so running it again after SQLITE_BUSY is safe.
      return await untilUnlocked(op, deadline, afterBusy);
    } finally {
      lock.release();
    }
  };

  const transaction = async (mode: TransactionMode = 'write'): Promise<Transaction> => {
    if (mode === 'read') return client.transaction(mode);
    const deadline = Date.now() + opts.maxWaitMs;
    await lock.acquire(opts.maxWaitMs);
    let tx: Transaction;
    try {
      // Only BEGIN is retried: nothing of the caller's has run yet.
      tx = await untilUnlocked(() => client.transaction(mode), deadline, afterBusy);
    } catch (err) {
      lock.release();
      throw err;
    }
    let released = false;
    const began = performance.now();
    const settle = () => {
      if (!released) {
        released = true;
        opts.observe?.('transaction', (performance.now() - began) / 1000);
        lock.release();
      }
    };
    return new Proxy(tx, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop === 'commit' || prop === 'rollback') {
          return async () => {
            try {
              return await (value as () => Promise<void>).call(target);
            } finally {
              settle();
            }
          };
        }
        if (prop === 'close') {
          return () => {
            try {
              (value as () => void).call(target);
            } finally {
              settle();
            }
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };

  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      switch (prop) {
        case 'execute':
          return (stmt: InStatement, args?: unknown) =>
            isRead(stmt)
              ? timed(opts.observe, 'read', () =>
                  reopenedOnce(target, () => target.execute(stmt as never, args as never)),
                )
              : timed(opts.observe, 'write', () => write(() => target.execute(stmt as never, args as never)));
        case 'batch':
          return (stmts: InStatement[], mode?: TransactionMode) =>
            mode === 'read'
              ? timed(opts.observe, 'read', () => target.batch(stmts, mode))
              : timed(opts.observe, 'write', () => write(() => target.batch(stmts, mode)));
        case 'migrate':
          return (stmts: InStatement[]) => write(() => target.migrate(stmts));
        case 'executeMultiple':
          return (sql: string) => write(() => target.executeMultiple(sql));
        case 'transaction':
          return transaction;
        default:
          return typeof value === 'function' ? value.bind(target) : value;
      }
    },
  });
}
