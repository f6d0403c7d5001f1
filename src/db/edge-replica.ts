import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Client, createClient } from '@libsql/client';
import { UnavailableError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { secureDatabaseFiles, secureDataDir } from './files.ts';
import { type DbHandle, type DbOptions, wrapClient } from './index.ts';

/**
 * The edge role's database (docs/scaling.md): an embedded replica of the primary sqld (`@libsql/client` with
 * `syncUrl`, online mode: reads are local, writes are forwarded to the primary and read back at once). No
 * migrations and no journal pragmas here: the primary owns the schema, and a replica refuses `journal_mode`.
 *
 * When the primary cannot be reached at start, the edge opens its replica file without sync, read-only (writes
 * answer 503 `unavailable`), and keeps serving the snapshot it last had; it retries the primary every
 * `retryMs` and switches to the live replica when it answers. Opening with `syncUrl` is not attempted while
 * the primary is down: the driver's first sync runs synchronously and would stall the event loop.
 */
export interface EdgeDbOptions extends DbOptions {
  syncUrl: string;
  logger: Logger;
  retryMs?: number;
  /** Probes whether the primary answers (tests replace it). */
  primaryUp?: (syncUrl: string, timeoutMs: number) => Promise<boolean>;
}

export interface EdgeDbHandle extends DbHandle {
  /** `live`: following the primary; `read-only`: serving the replica file while the primary is down. */
  mode(): 'live' | 'read-only';
  /** Pulls what the primary has now (no-op while read-only); returns the frame number reached, if told. */
  sync(): Promise<number | undefined>;
}

/** sqld answers `GET /health` on its HTTP port; anything that answers at all counts as up. */
export async function sqldAnswers(syncUrl: string, timeoutMs: number): Promise<boolean> {
  const http = syncUrl.replace(/^libsql:\/\//, 'https://').replace(/\/+$/, '');
  try {
    const res = await fetch(`${http}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

function filePath(url: string): string {
  return url.slice('file:'.length).split('?')[0]!;
}

export async function openEdgeDb(opts: EdgeDbOptions): Promise<EdgeDbHandle> {
  const deadlineMs = opts.deadlineMs ?? 5_000;
  const probe = opts.primaryUp ?? sqldAnswers;
  const hadReplica = existsSync(filePath(opts.url));
  // A new replica must not exist as a file before libSQL makes it (an empty file has no WAL index to sync
  // into): only the directory is secured now, the files once the client has created them.
  if (hadReplica) secureDatabaseFiles(opts.url);
  else secureDataDir(path.dirname(filePath(opts.url)));
  const openLive = (): Client =>
    createClient({
      url: opts.url,
      authToken: opts.authToken,
      syncUrl: opts.syncUrl,
      syncInterval: opts.syncIntervalSeconds,
    });

  let current: Client;
  let readOnly = false;
  if (await probe(opts.syncUrl, deadlineMs)) {
    current = openLive();
    // Opening does not wait for the first pull: a fresh replica would answer "no such table" until the
    // periodic sync caught up (bench/edges-change.ts failed so). One sync, bounded by the deadline, first.
    try {
      await withDeadline(current.sync(), deadlineMs, 'the first sync from the primary');
    } catch (err) {
      if (!hadReplica) {
        current.close();
        throw new Error(
          `this edge has no replica yet and the first sync from ${opts.syncUrl} failed: ${(err as Error).message}`,
        );
      }
      opts.logger.warn({ err: (err as Error).message }, 'first sync failed: serving the replica file, syncing on');
    }
    secureDatabaseFiles(opts.url);
  } else {
    if (!hadReplica) {
      throw new Error(
        `the primary database at ${opts.syncUrl} cannot be reached and this edge has no replica file yet (${filePath(opts.url)}); start it once while the primary is up`,
      );
    }
    opts.logger.warn(
      { sync_url: opts.syncUrl },
      'primary database unreachable: serving the last replica read-only until it answers',
    );
    current = createClient({ url: opts.url });
    readOnly = true;
  }

  // Every caller holds this one client; which connection stands behind it changes when the primary returns.
  const switchable = new Proxy({} as Client, {
    get(_target, prop) {
      const value = Reflect.get(current, prop, current);
      return typeof value === 'function' ? value.bind(current) : value;
    },
  });
  // A write is forwarded only to a primary that answers now (src/db/deadline.ts, `beforeWrite`): the forward
  // itself runs in the synchronous driver, where a hung primary would stall this process past any deadline.
  const beforeWrite = async () => {
    if (!(await probe(opts.syncUrl, deadlineMs))) {
      throw new UnavailableError(
        `the primary database did not answer within ${deadlineMs} ms: writes wait until it does (reads go on)`,
      );
    }
  };
  const handle = wrapClient(switchable, { ...opts, readOnly: () => readOnly, beforeWrite });

  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const retry = async () => {
    if (closed || !readOnly) return;
    if (await probe(opts.syncUrl, deadlineMs)) {
      try {
        const live = openLive();
        await withDeadline(live.sync(), deadlineMs, 'the first sync from the primary').catch((err) => {
          live.close();
          throw err;
        });
        const stale = current;
        current = live;
        readOnly = false;
        stale.close();
        opts.logger.info({ sync_url: opts.syncUrl }, 'primary database answers again: following it');
        return;
      } catch (err) {
        opts.logger.warn({ err: (err as Error).message }, 'primary answered but the replica could not sync yet');
      }
    }
    if (!closed) timer = setTimeout(() => void retry(), opts.retryMs ?? 2_000).unref();
  };
  if (readOnly) timer = setTimeout(() => void retry(), opts.retryMs ?? 2_000).unref();

  return {
    ...handle,
    mode: () => (readOnly ? 'read-only' : 'live'),
    async sync() {
      if (readOnly) return undefined;
      const rep = await current.sync();
      return rep?.frame_no;
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      current.close();
    },
  };
}
