// Real: the follower reading real files into a temp-file libSQL database (migrated), the retention deletes,
// the settings verb. Simulated: Caddy's writer — the test appends entry lines and renames/truncates the file
// the way Caddy's file writer (lumberjack) rolls it.
import { appendFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { count } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { accessLog } from '../../src/db/schema/index.ts';
import { parseAccessLine } from '../../src/services/access-log/entry.ts';
import { AccessLogFollower } from '../../src/services/access-log/follower.ts';
import { enforceAccessLogRetention } from '../../src/services/access-log/retention.ts';
import { updateRuntimeSettings } from '../../src/services/settings/runtime.ts';
import { silentLogger, systemContext, testDb } from '../helpers/env.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function line(i: number, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({
    level: 'info',
    ts: Date.now(),
    logger: 'gatehouse.access',
    msg: 'access',
    route: '7',
    kind: 'http',
    client: `192.0.2.${i % 250}`,
    decision: 'allow',
    check: '',
    rule: '',
    status: 200,
    bytes_in: 0,
    bytes_out: i,
    duration: 0.001,
    path: `/n/${i}`,
    ...extra,
  })}\n`;
}

async function setup() {
  const db = await testDb();
  cleanups.push(db.cleanup);
  const file = path.join(db.dir, 'access.log');
  writeFileSync(file, '');
  const follower = (maxReadBytes = 4096) =>
    new AccessLogFollower({ db: db.db, file, logger: silentLogger, maxReadBytes });
  const stored = async () => (await db.db.select({ n: count() }).from(accessLog))[0]!.n;
  const drain = async (f: AccessLogFollower) => {
    for (let i = 0; i < 1000 && (await f.step()); i++);
    await f.step(); // one more at the end: sees a rotation
    for (let i = 0; i < 1000 && (await f.step()); i++);
  };
  return { db, file, follower, stored, drain };
}

describe('access log follower', () => {
  it('stores complete lines in bounded steps and resumes at the saved offset after a restart', async () => {
    const { file, follower, stored, drain } = await setup();
    let text = '';
    for (let i = 1; i <= 100; i++) text += line(i);
    appendFileSync(file, `${text}${line(101).slice(0, 40)}`); // the last line is still being written
    const a = follower();
    expect(await a.step()).toBe(true); // 4 KiB at most: not everything at once
    expect(await stored()).toBeLessThan(100);
    await drain(a);
    expect(await stored()).toBe(100);
    await a.stop();
    appendFileSync(file, `${line(101).slice(40)}${line(102)}`);
    const b = follower(); // a restart: nothing twice, nothing lost
    await drain(b);
    expect(await stored()).toBe(102);
    await b.stop();
  });

  it('reads a rolled file to its end, then the new one; and a truncated file from the start', async () => {
    const { file, follower, stored, drain } = await setup();
    const f = follower();
    appendFileSync(file, line(1) + line(2));
    await drain(f);
    appendFileSync(file, line(3)); // written before the roll, not yet read
    renameSync(file, file.replace('.log', '-2026-11-30T01-00-00.000.log'));
    writeFileSync(file, line(4));
    await drain(f);
    expect(await stored()).toBe(4);
    truncateSync(file, 0); // (a copytruncate rotation; Caddy renames instead)
    await f.step();
    appendFileSync(file, line(5));
    await drain(f);
    expect(await stored()).toBe(5);
    await f.stop();
  });

  it('after a restart finds the rolled file it was reading by inode', async () => {
    const { file, follower, stored, drain } = await setup();
    const a = follower();
    appendFileSync(file, line(1));
    await drain(a);
    await a.stop();
    appendFileSync(file, line(2));
    renameSync(file, file.replace('.log', '-2026-11-30T02-00-00.000.log'));
    writeFileSync(file, line(3));
    const b = follower();
    await drain(b);
    expect(await stored()).toBe(3);
    await b.stop();
  });

  it('skips lines that are not access entries; cuts long fields', async () => {
    const { file, follower, stored, drain, db } = await setup();
    const f = follower(64 * 1024);
    appendFileSync(
      file,
      [
        'not json',
        '{"msg":"access"}',
        JSON.stringify({ msg: 'other', ts: 1 }),
        line(1, { decision: 'maybe' }).trim(),
        line(2, { kind: 'sctp' }).trim(),
        line(3, { rule: 'r'.repeat(10_000), route: '../../etc', status: 1e9, bytes_in: -5 }).trim(),
        '',
      ].join('\n'),
    );
    await drain(f);
    expect(await stored()).toBe(1);
    expect(f.skipped).toBe(5);
    const [row] = await db.db.select().from(accessLog);
    expect(row!.rule).toHaveLength(500);
    expect(row!.routeId).toBeNull();
    expect(row!.status).toBeNull();
    expect(row!.bytesIn).toBe(0);
    expect(parseAccessLine('x'.repeat(20_000))).toBeUndefined();
    await f.stop();
  });
});

describe('access log retention', () => {
  it('deletes by age and by count, oldest first', async () => {
    const { db, file, follower, stored, drain } = await setup();
    const f = follower();
    const old = Date.now() - 40 * 86_400_000;
    let text = '';
    for (let i = 0; i < 10; i++) text += line(i, { ts: old + i });
    for (let i = 10; i < 1_300; i++) text += line(i);
    appendFileSync(file, text);
    await drain(f);
    await f.stop();
    expect(await stored()).toBe(1_300);
    expect(await enforceAccessLogRetention(db.db, new Date())).toBe(10); // 30 days by default
    await updateRuntimeSettings({ ctx: systemContext(db), input: { access_log_max_entries: 1_000 } });
    expect(await enforceAccessLogRetention(db.db, new Date())).toBe(290);
    const rows = await db.db.select({ bytesOut: accessLog.bytesOut }).from(accessLog);
    expect(Math.min(...rows.map((r) => r.bytesOut))).toBe(300); // the newest 1,000 are left
  });
});
