// Scheduled backups (Settings: backup_interval_hours, backup_keep) and their download through the API.
// Real: the Hono app, the scheduler, VACUUM INTO on a libSQL temp file, age-encryption (a low scrypt work
// factor to keep the test fast); the clock is the test's.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBackup } from '../../src/services/backup/archive.ts';
import { BackupScheduler, backupDir } from '../../src/services/backup/schedule.ts';
import { silentLogger, testApp } from '../helpers/env.ts';

type TestApp = Awaited<ReturnType<typeof testApp>>;
let app: TestApp;
let admin: string;
let clock = new Date('2026-11-30T10:00:00Z');

beforeAll(async () => {
  app = await testApp({ now: () => clock });
  admin = await app.tokenFor('admin');
});
afterAll(() => app?.cleanup());

describe('scheduled backups', () => {
  it('writes one when due, keeps backup_keep, and the dashboard/API downloads it (admin only)', async () => {
    const scheduler = new BackupScheduler({
      db: app.db,
      client: app.client,
      config: app.config,
      logger: silentLogger,
      now: () => clock,
      passphrase: 'the scheduled backup passphrase',
      workFactor: 10,
    });
    expect(await scheduler.runDue()).toBeUndefined(); // off by default
    const set = await app.call('PATCH', '/api/v1/settings', {
      token: admin,
      body: { backup_interval_hours: 6, backup_keep: 2 },
    });
    expect(set.status).toBe(200);
    const bad = await app.call('PATCH', '/api/v1/settings', { token: admin, body: { backup_interval_hours: 1000 } });
    expect(bad.status).toBe(422);

    const first = await scheduler.runDue();
    expect(first).toMatch(/^gatehouse-20261130T100000Z\.backup$/);
    expect(await scheduler.runDue()).toBeUndefined(); // not due yet
    for (const hours of [7, 14]) {
      clock = new Date(Date.parse('2026-11-30T10:00:00Z') + hours * 3_600_000);
      expect(await scheduler.runDue()).toBeDefined();
    }
    const list = await app.call('GET', '/api/v1/backups', { token: admin });
    const names = ((await list.json()) as { data: { name: string }[] }).data.map((b) => b.name);
    expect(names).toEqual(['gatehouse-20261201T000000Z.backup', 'gatehouse-20261130T170000Z.backup']);

    const download = await app.call('GET', `/api/v1/backups/${names[0]}`, { token: admin });
    expect(download.status).toBe(200);
    const bytes = new Uint8Array(await download.arrayBuffer());
    expect(Buffer.from(bytes).equals(readFileSync(path.join(backupDir(app.config), names[0]!)))).toBe(true);
    const opened = await openBackup(bytes, 'the scheduled backup passphrase');
    expect([...opened.files.keys()]).toContain('gatehouse.db');

    const reader = await app.tokenFor('write');
    expect((await app.call('GET', `/api/v1/backups/${names[0]}`, { token: reader })).status).toBe(403);
    expect((await app.call('GET', '/api/v1/backups/..%2Fgatehouse.db', { token: admin })).status).toBe(404);
    expect((await app.call('GET', '/api/v1/backups/gatehouse-20991130T100000Z.backup', { token: admin })).status).toBe(
      404,
    );
  });

  it('without a passphrase writes nothing and says why', async () => {
    const scheduler = new BackupScheduler({
      db: app.db,
      client: app.client,
      config: app.config,
      logger: silentLogger,
      now: () => new Date('2027-01-01T00:00:00Z'),
      passphrase: undefined,
    });
    expect(await scheduler.runDue()).toBeUndefined();
    expect(scheduler.lastError).toContain('GATEHOUSE_BACKUP_PASSPHRASE');
  });
});
