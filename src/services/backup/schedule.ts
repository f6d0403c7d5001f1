import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@libsql/client';
import type { Config } from '../../config/index.ts';
import type { DbOrTx } from '../../db/index.ts';
import type { Logger } from '../../logger.ts';
import { readRuntimeSettings } from '../settings/runtime.ts';
import { takeBackup } from './create.ts';

/** GATEHOUSE_BACKUP_PASSPHRASE, or the first line of the file GATEHOUSE_BACKUP_PASSPHRASE_FILE names. */
export function backupPassphraseFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  if (env.GATEHOUSE_BACKUP_PASSPHRASE) return env.GATEHOUSE_BACKUP_PASSPHRASE;
  if (env.GATEHOUSE_BACKUP_PASSPHRASE_FILE)
    return readFileSync(env.GATEHOUSE_BACKUP_PASSPHRASE_FILE, 'utf8').split(/\r?\n/)[0];
  return undefined;
}

/** Where scheduled backups go: `<data dir>/backups/gatehouse-<UTC time>.backup`, mode 0600. */
export const backupDir = (config: Config) => path.join(config.dataDir, 'backups');
const NAME = /^gatehouse-\d{8}T\d{6}Z\.backup$/;

export interface BackupFileInfo {
  name: string;
  bytes: number;
  created_at: string;
}

/** The backups in the data dir, newest first (only files this scheduler names; nothing else is touched). */
export function listBackups(config: Config): BackupFileInfo[] {
  let names: string[] = [];
  try {
    names = readdirSync(backupDir(config));
  } catch {
    return [];
  }
  return names
    .filter((n) => NAME.test(n))
    .map((name) => {
      const info = statSync(path.join(backupDir(config), name));
      // The name carries the time it was taken (the scheduler's clock), not the file's mtime.
      const [, d, t] = /^gatehouse-(\d{8})T(\d{6})Z/.exec(name)!;
      const iso = `${d!.slice(0, 4)}-${d!.slice(4, 6)}-${d!.slice(6)}T${t!.slice(0, 2)}:${t!.slice(2, 4)}:${t!.slice(4)}.000Z`;
      return { name, bytes: info.size, created_at: iso };
    })
    .sort((a, b) => (a.name < b.name ? 1 : -1));
}

/** A backup file's path by its listed name; undefined for any other name (no path tricks). */
export function backupPath(config: Config, name: string): string | undefined {
  return NAME.test(name) && listBackups(config).some((b) => b.name === name)
    ? path.join(backupDir(config), name)
    : undefined;
}

/**
 * Scheduled backups (Settings: backup_interval_hours, 0 = off; backup_keep): checked every few minutes, a new
 * backup when the newest is older than the interval, then the oldest beyond `backup_keep` removed. The
 * passphrase comes from GATEHOUSE_BACKUP_PASSPHRASE(_FILE); without one nothing is written and it says so.
 */
export class BackupScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  lastError: string | undefined;

  constructor(
    private readonly opts: {
      db: DbOrTx;
      client: Client;
      config: Config;
      logger: Logger;
      now: () => Date;
      passphrase: string | undefined;
      checkEveryMs?: number;
      workFactor?: number;
    },
  ) {}

  start() {
    this.timer = setInterval(() => void this.runDue(), this.opts.checkEveryMs ?? 5 * 60_000);
    this.timer.unref();
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
  }

  /** One check: a backup when due; returns the file written, if any. */
  async runDue(): Promise<string | undefined> {
    if (this.running) return undefined;
    this.running = true;
    try {
      const settings = await readRuntimeSettings(this.opts.db);
      if (!settings.backup_interval_hours) return undefined;
      const newest = listBackups(this.opts.config)[0];
      const dueAt = newest ? Date.parse(newest.created_at) + settings.backup_interval_hours * 3_600_000 : 0;
      if (this.opts.now().getTime() < dueAt) return undefined;
      return await this.runNow(settings.backup_keep);
    } catch (err) {
      this.lastError = (err as Error).message;
      this.opts.logger.error({ err }, 'scheduled backup failed');
      return undefined;
    } finally {
      this.running = false;
    }
  }

  /** A backup now, then retention. */
  async runNow(keep: number): Promise<string> {
    if (!this.opts.passphrase)
      throw new Error('scheduled backups need a passphrase: set GATEHOUSE_BACKUP_PASSPHRASE or _FILE');
    const now = this.opts.now();
    const backup = await takeBackup({
      client: this.opts.client,
      config: this.opts.config,
      now,
      passphrase: this.opts.passphrase,
      workFactor: this.opts.workFactor,
    });
    const dir = backupDir(this.opts.config);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const name = `gatehouse-${now
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z')}.backup`;
    writeFileSync(path.join(dir, name), backup.data, { mode: 0o600 });
    for (const old of listBackups(this.opts.config).slice(Math.max(1, keep))) unlinkSync(path.join(dir, old.name));
    this.lastError = undefined;
    this.opts.logger.info({ file: name, config_version: backup.manifest.config_version }, 'backup written');
    return name;
  }
}
