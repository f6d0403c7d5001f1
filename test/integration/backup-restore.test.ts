// `gatehouse backup` while writes go on, `gatehouse restore` into a fresh data dir: every table equal to the
// source as of the backup's commit, the data-plane snapshot hash equal, peer keys and API tokens usable.
// Real: bin/gatehouse (backup, restore) as child processes, the services writing in this process, libSQL
// files, age-encryption (scrypt at its default work factor). Simulated: no Caddy (the snapshot is compiled
// and hashed as the data plane would receive it: appliedHash).
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretBoxFor } from '../../src/auth/secret-box.ts';
import { appliedHash } from '../../src/caddy/data-plane.ts';
import { controlPlaneDial } from '../../src/caddy/route-auth.ts';
import { compileSnapshot } from '../../src/caddy/snapshot.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createDb, type DbHandle, migrateDb } from '../../src/db/index.ts';
import { peers } from '../../src/db/schema/index.ts';
import { loadCompileInput } from '../../src/services/config/compile-input.ts';
import { currentVersion } from '../../src/services/config/version.ts';
import { loadGatewayRefs } from '../../src/services/gateways/read.ts';
import { createRoute } from '../../src/services/routes/create.ts';
import { authenticateToken } from '../../src/services/tokens/authenticate.ts';
import { systemContext, tempDir, testApp } from '../helpers/env.ts';

const run = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, '../../bin/gatehouse');
const PASSPHRASE = 'correct horse battery staple';

type TestApp = Awaited<ReturnType<typeof testApp>>;
let source: TestApp;
let work: ReturnType<typeof tempDir>;
let token: string;

async function gatehouse(dataDir: string, args: string[], extraEnv: Record<string, string> = {}) {
  const env = { PATH: process.env.PATH ?? '', GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_LOG_LEVEL: 'warn', ...extraEnv };
  try {
    const r = await run(BIN, args, { env, timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function snapshotHash(db: DbHandle['db'], config: TestApp['config']) {
  const version = await currentVersion(db);
  const input = await loadCompileInput(db, version, loadGatewayRefs, controlPlaneDial(config.listen), undefined);
  return { version, hash: appliedHash(compileSnapshot(input)) };
}

async function tables(url: string): Promise<Map<string, Record<string, unknown>[]>> {
  const client = createClient({ url });
  try {
    const names = await client.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    const out = new Map<string, Record<string, unknown>[]>();
    for (const row of names.rows) {
      const name = String(row.name);
      const rs = await client.execute(`SELECT * FROM "${name}" ORDER BY rowid`);
      out.set(
        name,
        rs.rows.map((r) => Object.fromEntries(rs.columns.map((c) => [c, r[c]]))),
      );
    }
    return out;
  } finally {
    client.close();
  }
}

beforeAll(async () => {
  source = await testApp();
  work = tempDir('gatehouse-backup-');
  const admin = await source.tokenFor('admin');
  token = await source.tokenFor('read');
  const post = async (url: string, body: unknown) => {
    const res = await source.call('POST', url, { token: admin, body });
    if (res.status >= 300) throw new Error(`${url}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, any>;
  };
  const alice = await post('/api/v1/peers', { name: 'alice', tags: ['staff'] });
  await post('/api/v1/policies', {
    name: 'staff',
    policy: {
      rules: [{ action: 'allow', conditions: [{ type: 'peer', values: [String(alice.id)] }] }],
      default: 'deny',
    },
  });
  const wiki = await post('/api/v1/routes', {
    name: 'wiki',
    domain: 'wiki.example.com',
    target_kind: 'peer',
    peer_id: alice.id,
    target_port: 80,
    policy: { rules: [], default: 'allow', login: true },
    auth_password: 'a password for the login',
  });
  await post(`/api/v1/routes/${wiki.id}/auth-users`, { username: 'bob', password: 'bobs password 123' });
});
afterAll(() => {
  source?.cleanup();
  work?.cleanup();
});

describe('backup during writes, restore on a fresh data dir', () => {
  it('restores every table as of one commit, the same snapshot hash, peer keys and tokens', async () => {
    const passFile = path.join(work.dir, 'pass');
    writeFileSync(passFile, `${PASSPHRASE}\n`);
    const backupFile = path.join(work.dir, 'gatehouse.backup');
    const ctx = systemContext(source);
    const hashes = new Map<number, string>();
    let stop = false;
    let during = 0;
    let backupRunning = false;
    const writer = (async () => {
      const started = Date.now();
      for (let i = 0; !stop && i < 3000 && Date.now() - started < 90_000; i++) {
        await createRoute({
          ctx,
          input: {
            name: `svc-${i}`,
            domain: `svc-${i}.example.com`,
            target_kind: 'direct',
            target_host: '10.0.0.7',
            target_port: 8000,
          },
        });
        const { version, hash } = await snapshotHash(source.db, source.config);
        hashes.set(version, hash);
        if (backupRunning) during++;
        // The embedded driver settles its promises at once: yield, or timers and the child process starve.
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    backupRunning = true;
    const backup = await gatehouse(source.dir, ['backup', backupFile, '--passphrase-file', passFile]);
    backupRunning = false;
    stop = true;
    await writer;
    expect(backup.code, backup.stderr).toBe(0);
    expect(during, 'writes committed while the backup ran').toBeGreaterThan(0);
    const backedUp = Number(/config version (\d+)/.exec(backup.stdout)?.[1]);
    const last = Math.max(...hashes.keys());
    expect(hashes.has(backedUp), `version ${backedUp} is one the writer committed`).toBe(true);
    expect(backedUp).toBeLessThan(last);

    const target = path.join(work.dir, 'restored');
    const restored = await gatehouse(target, ['restore', backupFile], { GATEHOUSE_BACKUP_PASSPHRASE: PASSPHRASE });
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`restored config version ${backedUp}`);

    // Every table: the source's rows as of the backup's commit. The writer only appends routes and audit
    // entries and moves config_version, so "as of" is the prefix the restored copy holds.
    const config = loadConfig({ GATEHOUSE_DATA_DIR: target });
    const now = await tables(source.config.db.url);
    const then = await tables(config.db.url);
    expect([...then.keys()]).toEqual([...now.keys()]);
    for (const [name, rows] of then) {
      let expected = now.get(name)!;
      if (name === 'routes' || name === 'audit_log') {
        const maxId = Math.max(0, ...rows.map((r) => Number(r.id)));
        expected = expected.filter((r) => Number(r.id) <= maxId);
      }
      if (name === 'settings')
        expected = expected.map((r) =>
          r.key === 'config_version' ? rows.find((x) => x.key === 'config_version')! : r,
        );
      if (name === 'sqlite_sequence')
        expected = expected.map((r) => {
          if (r.name !== 'routes' && r.name !== 'audit_log') return r;
          const ids = then.get(String(r.name))!.map((x) => Number(x.id));
          return { ...r, seq: Math.max(...ids) };
        });
      if (name === 'api_tokens') expected = expected.map((r, i) => ({ ...r, last_used_at: rows[i]?.last_used_at }));
      expect(rows, name).toEqual(expected);
    }
    const routeCount = then.get('routes')!.length;
    expect(routeCount).toBeGreaterThan(1);

    const handle = createDb(config.db);
    await migrateDb(handle);
    try {
      expect(await snapshotHash(handle.db, config)).toEqual({ version: backedUp, hash: hashes.get(backedUp) });
      // Peer keys: the restored key file opens the restored private keys (tunnels keep their keys).
      const [a] = await source.db.select().from(peers);
      const [b] = await handle.db.select().from(peers);
      expect(secretBoxFor(config).open(b!.privateKey!)).toBe(secretBoxFor(source.config).open(a!.privateKey!));
      // Tokens: the source's API token authenticates against the restored database.
      expect(await authenticateToken({ db: handle.db, token, now: new Date() })).toMatchObject({ scope: 'read' });
    } finally {
      handle.close();
    }
  });

  it('refuses a wrong passphrase, a truncated or altered file and a non-empty data dir, writing nothing', async () => {
    const backupFile = path.join(work.dir, 'gatehouse.backup');
    const env = { GATEHOUSE_BACKUP_PASSPHRASE: PASSPHRASE };
    const wrong = await gatehouse(path.join(work.dir, 'w'), ['restore', backupFile], {
      GATEHOUSE_BACKUP_PASSPHRASE: 'not the passphrase at all',
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('passphrase: does not open this backup');

    const bytes = readFileSync(backupFile);
    const truncated = path.join(work.dir, 'truncated.backup');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
    const cut = await gatehouse(path.join(work.dir, 't'), ['restore', truncated], env);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/not a usable Gatehouse backup/);

    const altered = Buffer.from(bytes);
    altered.writeUInt8(altered.readUInt8(altered.length - 5000) ^ 0xff, altered.length - 5000);
    const flipped = path.join(work.dir, 'altered.backup');
    writeFileSync(flipped, altered);
    const bad = await gatehouse(path.join(work.dir, 'a'), ['restore', flipped], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not a usable Gatehouse backup/);

    const busy = await gatehouse(source.dir, ['restore', backupFile], env);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain('is not empty');

    const short = await gatehouse(source.dir, ['backup', path.join(work.dir, 'x'), '--passphrase-file', '/dev/null']);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('passphrase: must be at least 12 characters');
  });
});
