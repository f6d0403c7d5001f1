import { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * `gatehouse db promote`: sqld has no automatic primary failover (docs/scaling.md, "Promoting the standby").
 * A sqld started without `--primary-grpc-url` on a standby's data directory is a primary: it rebuilds its
 * replication log from the database file it holds (checkpointing the WAL first). This command prepares that
 * directory and fences the old primary's, so that the old primary can never come back as a primary:
 *
 *   1. the standby sqld must be stopped (its `.sentinel` files are gone after a clean stop);
 *   2. the replica's own bookkeeping (`client_wal_index`) is removed from every namespace;
 *   3. the old primary's directory, when given and reachable, is renamed to `<dir>.demoted-<time>` and a plain
 *      file takes its place, so a sqld started on it fails instead of serving an old copy (or a new, empty one);
 *   4. a marker `gatehouse-promoted` records when, for the operator and for the next promotion.
 *
 * Nothing here talks to a running sqld; starting the new primary (and pointing the edges' GATEHOUSE_DB_SYNC_URL
 * and the primary's GATEHOUSE_DB_URL at it) is the operator's next step, printed at the end.
 */
export class PromoteError extends Error {
  override name = 'PromoteError';
}

export interface PromoteResult {
  namespaces: string[];
  fencedAt: string | undefined;
  lines: string[];
}

const MAX_PATH = 4096;

function checkedDir(value: string, flag: string): string {
  if (value.length > MAX_PATH || value.includes('\0')) throw new PromoteError(`${flag}: not a usable path`);
  return path.resolve(value);
}

function namespacesOf(dir: string): string[] {
  const dbs = path.join(dir, 'dbs');
  if (!existsSync(dbs) || !statSync(dbs).isDirectory()) return [];
  return readdirSync(dbs).filter((name) => existsSync(path.join(dbs, name, 'data')));
}

export function promoteStandby(opts: {
  standbyDir: string;
  oldPrimaryDir?: string | undefined;
  now: Date;
}): PromoteResult {
  const standby = checkedDir(opts.standbyDir, '--standby-dir');
  const oldPrimary = opts.oldPrimaryDir === undefined ? undefined : checkedDir(opts.oldPrimaryDir, '--old-primary-dir');
  if (oldPrimary !== undefined && oldPrimary === standby) {
    throw new PromoteError('--old-primary-dir and --standby-dir are the same directory');
  }
  const namespaces = namespacesOf(standby);
  if (namespaces.length === 0) {
    throw new PromoteError(
      `--standby-dir: ${standby} holds no sqld database (expected ${standby}/dbs/<namespace>/data)`,
    );
  }
  const running = namespaces.filter((ns) => existsSync(path.join(standby, 'dbs', ns, '.sentinel')));
  if (running.length > 0) {
    throw new PromoteError(
      `the standby sqld is running or did not stop cleanly (${running.map((ns) => `dbs/${ns}/.sentinel`).join(', ')}): stop it first`,
    );
  }
  // Validate everything before changing anything: the old primary's directory must be a directory if given.
  if (oldPrimary !== undefined && existsSync(oldPrimary) && !statSync(oldPrimary).isDirectory()) {
    throw new PromoteError(`--old-primary-dir: ${oldPrimary} is not a directory (already fenced?)`);
  }

  for (const ns of namespaces) rmSync(path.join(standby, 'dbs', ns, 'client_wal_index'), { force: true });
  const stamp = opts.now.toISOString().replace(/[:.]/g, '-');
  let fencedAt: string | undefined;
  if (oldPrimary !== undefined && existsSync(oldPrimary)) {
    fencedAt = `${oldPrimary}.demoted-${stamp}`;
    renameSync(oldPrimary, fencedAt);
    writeFileSync(
      oldPrimary,
      `Demoted by \`gatehouse db promote\` at ${opts.now.toISOString()}; the primary is now ${standby}.\n` +
        `The old data is in ${fencedAt}. Rejoin as a standby on an empty directory (docs/scaling.md).\n`,
      { mode: 0o400 },
    );
  }
  writeFileSync(
    path.join(standby, 'gatehouse-promoted'),
    `${JSON.stringify({ promoted_at: opts.now.toISOString(), namespaces, old_primary: oldPrimary ?? null })}\n`,
    { mode: 0o600 },
  );
  const lines = [
    `promoted ${standby} (namespaces: ${namespaces.join(', ')})`,
    fencedAt
      ? `fenced the old primary: ${oldPrimary} is now a file; its data moved to ${fencedAt}`
      : 'the old primary was not fenced here (no --old-primary-dir): wipe its data directory before it starts again',
    `next: start sqld on ${standby} without --primary-grpc-url, then point GATEHOUSE_DB_URL (primary) and GATEHOUSE_DB_SYNC_URL (edges) at it`,
  ];
  return { namespaces, fencedAt, lines };
}
