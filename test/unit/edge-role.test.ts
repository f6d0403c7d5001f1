// Issue 21: the server's role settings and `gatehouse db promote`. Real: the config loader, the promotion on
// directories laid out as sqld lays out its data (dbs/<namespace>/data). Simulated: the sqld data files (bytes).
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { PromoteError, promoteStandby } from '../../src/db/promote.ts';
import { tempDir } from '../helpers/env.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ GATEHOUSE_DATA_DIR: '/tmp/gh-role-test', ...env });
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => `${p.variable}: ${p.message}`);
  }
}

describe('role configuration', () => {
  it('primary by default, with a 5 s database deadline', () => {
    const config = loadConfig({ GATEHOUSE_DATA_DIR: '/tmp/gh-role-test' });
    expect(config.role).toBe('primary');
    expect(config.db.deadlineMs).toBe(5000);
    expect(config.db.syncUrl).toBeUndefined();
  });

  it('an edge follows a primary sqld into a local replica file', () => {
    const config = loadConfig({
      GATEHOUSE_DATA_DIR: '/tmp/gh-role-test',
      GATEHOUSE_ROLE: 'edge',
      GATEHOUSE_DB_SYNC_URL: 'http://10.0.0.1:8080',
      GATEHOUSE_DB_DEADLINE_MS: '1500',
    });
    expect(config.role).toBe('edge');
    expect(config.db).toMatchObject({
      url: 'file:/tmp/gh-role-test/gatehouse.db',
      syncUrl: 'http://10.0.0.1:8080',
      deadlineMs: 1500,
    });
  });

  it('names the field and why for every inconsistent or hostile value', () => {
    expect(problems({ GATEHOUSE_ROLE: 'edge' })).toEqual([
      expect.stringMatching(/^GATEHOUSE_DB_SYNC_URL: is required/),
    ]);
    expect(problems({ GATEHOUSE_DB_SYNC_URL: 'http://p:8080' })).toEqual([
      expect.stringMatching(/^GATEHOUSE_DB_SYNC_URL: is only for GATEHOUSE_ROLE=edge/),
    ]);
    expect(
      problems({ GATEHOUSE_ROLE: 'edge', GATEHOUSE_DB_SYNC_URL: 'http://p:8080', GATEHOUSE_DB_URL: 'http://p:8080' }),
    ).toEqual([expect.stringMatching(/^GATEHOUSE_DB_URL: must be a file: URL/)]);
    expect(problems({ GATEHOUSE_ROLE: 'replica' })).toEqual(['GATEHOUSE_ROLE: must be primary or edge']);
    expect(problems({ GATEHOUSE_ROLE: 'edge', GATEHOUSE_DB_SYNC_URL: 'file:/etc/passwd' })[0]).toMatch(
      /libsql:\/\/ or http/,
    );
    expect(problems({ GATEHOUSE_ROLE: 'edge', GATEHOUSE_DB_SYNC_URL: `http://${'a'.repeat(3000)}` })[0]).toMatch(
      /2048/,
    );
    expect(problems({ GATEHOUSE_DB_DEADLINE_MS: '5' })[0]).toMatch(/between 100 and 60000/);
    expect(problems({ GATEHOUSE_DB_DEADLINE_MS: '1e9' })[0]).toMatch(/between 100 and 60000/);
    expect(problems({ GATEHOUSE_DB_DEADLINE_MS: 'soon' })[0]).toMatch(/GATEHOUSE_DB_DEADLINE_MS/);
  });
});

/** A sqld data directory as sqld leaves it: dbs/default/data (+ a replica's client_wal_index). */
function sqldDir(root: string, name: string, opts: { replica?: boolean; running?: boolean } = {}): string {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, 'dbs', 'default'), { recursive: true });
  writeFileSync(path.join(dir, 'dbs', 'default', 'data'), Buffer.alloc(4096));
  if (opts.replica) writeFileSync(path.join(dir, 'dbs', 'default', 'client_wal_index'), 'x');
  if (opts.running) writeFileSync(path.join(dir, 'dbs', 'default', '.sentinel'), '');
  return dir;
}

describe('gatehouse db promote', () => {
  it('prepares the standby as the primary and fences the old primary for good', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const standby = sqldDir(dir, 'standby', { replica: true });
    const old = sqldDir(dir, 'primary');
    const result = promoteStandby({ standbyDir: standby, oldPrimaryDir: old, now: new Date('2026-01-02T03:04:05Z') });
    expect(result.namespaces).toEqual(['default']);
    expect(existsSync(path.join(standby, 'dbs', 'default', 'client_wal_index'))).toBe(false);
    expect(existsSync(path.join(standby, 'dbs', 'default', 'data'))).toBe(true);
    // The old primary's path is a file now: a sqld started there fails instead of serving as primary again.
    expect(statSync(old).isFile()).toBe(true);
    expect(readFileSync(old, 'utf8')).toMatch(/Demoted by `gatehouse db promote`/);
    expect(existsSync(path.join(`${old}.demoted-2026-01-02T03-04-05-000Z`, 'dbs', 'default', 'data'))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(standby, 'gatehouse-promoted'), 'utf8')).promoted_at).toBe(
      '2026-01-02T03:04:05.000Z',
    );
    // A second promotion onto the fenced path is refused, changing nothing.
    expect(() => promoteStandby({ standbyDir: standby, oldPrimaryDir: old, now: new Date() })).toThrow(
      /already fenced/,
    );
  });

  it('refuses a running standby, a directory without a database, and the same directory twice, changing nothing', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const running = sqldDir(dir, 'running', { replica: true, running: true });
    expect(() => promoteStandby({ standbyDir: running, now: new Date() })).toThrow(/running or did not stop cleanly/);
    expect(existsSync(path.join(running, 'dbs', 'default', 'client_wal_index'))).toBe(true);
    expect(() => promoteStandby({ standbyDir: path.join(dir, 'nothing'), now: new Date() })).toThrow(
      /holds no sqld database/,
    );
    const s = sqldDir(dir, 's');
    expect(() => promoteStandby({ standbyDir: s, oldPrimaryDir: `${s}/`, now: new Date() })).toThrow(/same directory/);
    expect(() => promoteStandby({ standbyDir: `${s}\0x`, now: new Date() })).toThrow(PromoteError);
  });
});
