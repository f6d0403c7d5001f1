import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { eq, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { accessLog, type NewAccessLogRow, peers, settings } from '../../db/schema/index.ts';
import type { Logger } from '../../logger.ts';
import { type ParsedEntry, parseAccessLine } from './entry.ts';

/** Where the follower stopped: the file (by inode) and the byte after the last stored line. */
interface Cursor {
  ino: number;
  offset: number;
}
const CURSOR_KEY = 'access_log_cursor';
/** Rows per INSERT: one JSON parameter each, so only the statement's size bounds it. */
const ROWS_PER_INSERT = 2_000;

export interface FollowerOptions {
  db: Db;
  file: string;
  logger: Logger;
  /** Told of every stored batch, after it committed (live tail, metrics). */
  onStored?: (rows: NewAccessLogRow[]) => void;
  pollMs?: number;
  /** Bytes read per step: one step is one transaction, so a backlog is stored in bounded batches. */
  maxReadBytes?: number;
}

/**
 * Follows the data plane's access log (src/caddy/static-config.ts says where Caddy writes it) into the
 * `access_log` table. Each step reads at most `maxReadBytes` from the saved offset, stores the complete lines
 * and moves the saved offset in the same transaction, so a restart resumes exactly where the last commit
 * ended (nothing twice, nothing lost). Rotation: Caddy renames the file and starts a new one; the follower
 * reads the old one (still open) to its end, then opens the new one from its start. After a restart it finds
 * the file it was in by inode among the rolled ones. A truncated file is read again from the start. Writes go
 * through the one write queue; the follower never runs inside a request.
 */
export class AccessLogFollower {
  readonly #o: Required<Omit<FollowerOptions, 'onStored'>> & Pick<FollowerOptions, 'onStored'>;
  #fh: FileHandle | undefined;
  #cursor: Cursor = { ino: 0, offset: 0 };
  #buf: Buffer;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #peers = new Map<string, number>();
  #peersAt = 0;
  /** Lines that were not access entries (or too long), since start. */
  skipped = 0;
  stored = 0;

  constructor(opts: FollowerOptions) {
    this.#o = { pollMs: 250, maxReadBytes: 1 << 20, ...opts };
    this.#buf = Buffer.allocUnsafe(this.#o.maxReadBytes);
  }

  start(): void {
    this.#stopped = false;
    const loop = async () => {
      if (this.#stopped) return;
      try {
        while (!this.#stopped && (await this.step())) {
          // a backlog: keep going, one bounded batch at a time
        }
      } catch (err) {
        this.#o.logger.warn({ err: (err as Error).message }, 'access log: step failed; retrying');
      }
      if (!this.#stopped) {
        this.#timer = setTimeout(() => {
          this.#running = loop();
        }, this.#o.pollMs);
      }
    };
    this.#running = loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    await this.#fh?.close();
    this.#fh = undefined;
  }

  /** One bounded step; true when it stored something (there may be more). Public for tests and the benchmark. */
  async step(): Promise<boolean> {
    if (!this.#fh && !(await this.#openAtCursor())) return false;
    const fh = this.#fh as FileHandle;
    const buf = this.#buf;
    const { bytesRead } = await fh.read(buf, 0, buf.length, this.#cursor.offset);
    if (bytesRead === 0) {
      await this.#checkRotation();
      return false;
    }
    // Only complete lines are consumed: the rest is read again next time, from the saved offset.
    const end = buf.lastIndexOf(0x0a, bytesRead - 1);
    if (end < 0) {
      if (bytesRead < buf.length) return false; // a line still being written
      // a whole read without a line end: not an entry (entries are far shorter); skip it
      this.skipped++;
      this.#cursor = { ...this.#cursor, offset: this.#cursor.offset + bytesRead };
      return true;
    }
    const complete = buf.toString('utf8', 0, end + 1);
    const entries: ParsedEntry[] = [];
    for (const line of complete.split('\n')) {
      if (line === '') continue;
      const e = parseAccessLine(line);
      if (e) entries.push(e);
      else this.skipped++;
    }
    const rows = await this.#withPeers(entries);
    const next: Cursor = { ino: this.#cursor.ino, offset: this.#cursor.offset + end + 1 };
    await this.#o.db.transaction(async (tx) => {
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
        const chunk = rows.slice(i, i + ROWS_PER_INSERT);
        const ids = await tx.all<{ id: number }>(insertRows(chunk));
        ids.forEach(({ id }, k) => {
          (chunk[k] as NewAccessLogRow).id = id;
        });
      }
      await tx
        .insert(settings)
        .values({ key: CURSOR_KEY, value: next, updatedAt: new Date() })
        .onConflictDoUpdate({ target: settings.key, set: { value: next, updatedAt: new Date() } });
    });
    this.#cursor = next;
    this.stored += rows.length;
    if (rows.length > 0) this.#o.onStored?.(rows);
    return true;
  }

  /** Opens the file the saved cursor names: the live file, or a rolled one with that inode; else the live file from 0. */
  async #openAtCursor(): Promise<boolean> {
    const [row] = await this.#o.db.select().from(settings).where(eq(settings.key, CURSOR_KEY));
    const saved = row?.value as Cursor | undefined;
    const live = await stat(this.#o.file).catch(() => undefined);
    if (saved && typeof saved.ino === 'number' && typeof saved.offset === 'number') {
      const where = live?.ino === saved.ino ? this.#o.file : await this.#rolledWithInode(saved.ino);
      if (where) {
        const size = (await stat(where)).size;
        this.#fh = await open(where, 'r');
        this.#cursor = { ino: saved.ino, offset: saved.offset <= size ? saved.offset : 0 };
        return true;
      }
    }
    if (!live) return false;
    this.#fh = await open(this.#o.file, 'r');
    this.#cursor = { ino: (await this.#fh.stat()).ino, offset: 0 };
    return true;
  }

  async #rolledWithInode(ino: number): Promise<string | undefined> {
    const dir = path.dirname(this.#o.file);
    const { name, ext } = path.parse(this.#o.file);
    for (const f of await readdir(dir).catch(() => [] as string[])) {
      if (!f.startsWith(`${name}-`) || !f.endsWith(ext)) continue;
      const full = path.join(dir, f);
      if ((await stat(full).catch(() => undefined))?.ino === ino) return full;
    }
    return undefined;
  }

  /** At the end of the open file: moved on to a new file (rolled), or truncated? */
  async #checkRotation(): Promise<void> {
    const fh = this.#fh as FileHandle;
    const live = await stat(this.#o.file).catch(() => undefined);
    if (!live) return;
    if (live.ino !== this.#cursor.ino) {
      // the open file was read to its end above: switch to the new one from its start
      await fh.close();
      this.#fh = await open(this.#o.file, 'r');
      this.#cursor = { ino: (await this.#fh.stat()).ino, offset: 0 };
      return;
    }
    if (live.size < this.#cursor.offset) {
      this.#cursor = { ino: live.ino, offset: 0 };
    }
  }

  /** Client addresses that are tunnel addresses name their peer (the peer list is re-read at most every 30 s). */
  async #withPeers(entries: ParsedEntry[]): Promise<NewAccessLogRow[]> {
    if (Date.now() - this.#peersAt > 30_000) {
      const rows = await this.#o.db.select({ id: peers.id, address: peers.address }).from(peers);
      this.#peers = new Map(rows.map((r) => [r.address, r.id]));
      this.#peersAt = Date.now();
    }
    return entries.map((e) => ({ ...e, peerId: this.#peers.get(e.client) ?? null }));
  }
}

const COLUMNS = [
  'at',
  'route_id',
  'kind',
  'client',
  'country',
  'asn',
  'peer_id',
  'user',
  'decision',
  'check',
  'rule',
  'host',
  'method',
  'path',
  'status',
  'bytes_in',
  'bytes_out',
  'duration_ms',
] as const;

/**
 * One INSERT for many rows with a single JSON parameter that SQLite unpacks (json_each): building a statement
 * with 18 placeholders per row costs more than storing the rows (bench/access-log-ingest.ts). Ids come back in
 * insertion order.
 */
function insertRows(rows: NewAccessLogRow[]): SQL {
  const data = JSON.stringify(
    rows.map((r) => [
      r.at.getTime(),
      r.routeId ?? null,
      r.kind,
      r.client,
      r.country ?? null,
      r.asn ?? null,
      r.peerId ?? null,
      r.user ?? null,
      r.decision,
      r.check ?? null,
      r.rule ?? null,
      r.host ?? null,
      r.method ?? null,
      r.path ?? null,
      r.status ?? null,
      r.bytesIn,
      r.bytesOut,
      r.durationMs,
    ]),
  );
  const cols = COLUMNS.map((c) => `"${c}"`).join(', ');
  const values = COLUMNS.map((_, i) => `value ->> ${i}`).join(', ');
  return sql`INSERT INTO access_log (${sql.raw(cols)}) SELECT ${sql.raw(values)} FROM json_each(${data}) ORDER BY key RETURNING id`;
}
