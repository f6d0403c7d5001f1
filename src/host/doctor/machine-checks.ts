import path from 'node:path';
import type { Check, DoctorEnv } from './types.ts';

const MiB = 1024 * 1024;
/** Below this the database cannot take writes for long (SQLite needs room for its journal). */
export const DISK_FAIL_BYTES = 100 * MiB;
export const DISK_WARN_BYTES = 1024 * MiB;

/** The Caddy binary runs and carries our module (an upstream Caddy would reject every snapshot). */
export const checkCaddy: Check = async (env) => {
  const check = 'caddy';
  const { enabled, bin } = env.config.caddy;
  if (!enabled) return [{ check, level: 'ok', message: 'disabled (GATEHOUSE_CADDY_ENABLED=false)' }];
  if (!env.exists(bin)) {
    return [
      {
        check,
        level: 'fail',
        message: `no Caddy binary at ${bin}: run npm run build:caddy, or set GATEHOUSE_CADDY_BIN`,
      },
    ];
  }
  const version = await env.run(bin, ['version']);
  if (!version.ok) {
    return [
      {
        check,
        level: 'fail',
        message: `${bin} does not run (${version.error ?? 'exit code not 0'}): rebuild with npm run build:caddy`,
      },
    ];
  }
  const modules = await env.run(bin, ['list-modules']);
  if (!modules.ok || !modules.stdout.split('\n').some((line) => line.trim() === 'gatehouse')) {
    return [
      { check, level: 'fail', message: `${bin} lacks the gatehouse module: build ours with npm run build:caddy` },
    ];
  }
  return [{ check, level: 'ok', message: `${version.stdout.split(' ')[0]} with the gatehouse module (${bin})` }];
};

/** The nearest existing directory at or above `dir`: the data dir may not exist before the first start. */
function existingAncestor(env: DoctorEnv, dir: string): string {
  let current = dir;
  while (!env.stat(current) && path.dirname(current) !== current) current = path.dirname(current);
  return current;
}

export const checkDisk: Check = async (env) => {
  const check = 'disk';
  const dir = existingAncestor(env, env.config.dataDir);
  const free = env.freeBytes(dir);
  if (free === undefined) return [{ check, level: 'warn', message: `cannot tell the free space at ${dir}` }];
  const shown = `${Math.floor(free / MiB)} MiB free at ${dir}`;
  if (free < DISK_FAIL_BYTES)
    return [{ check, level: 'fail', message: `${shown}: free space, or move GATEHOUSE_DATA_DIR` }];
  if (free < DISK_WARN_BYTES)
    return [{ check, level: 'warn', message: `${shown}: the database and certificates need room to grow` }];
  return [{ check, level: 'ok', message: shown }];
};

/** No outside clock is asked: the time zone, and whether the system says NTP keeps it synchronised. */
export const checkClock: Check = async (env) => {
  const check = 'clock';
  const zone = env.timezone();
  const why = 'TOTP codes and certificates need the right time';
  if (!(await env.which('timedatectl'))) {
    return [
      {
        check,
        level: 'warn',
        message: `time zone ${zone}; cannot tell whether NTP synchronises the clock (no timedatectl): ${why}`,
      },
    ];
  }
  const shown = await env.run('timedatectl', ['show', '-p', 'NTPSynchronized']);
  const synced = /^NTPSynchronized=(yes|no)$/m.exec(shown.stdout)?.[1];
  if (!shown.ok || synced === undefined) {
    return [
      {
        check,
        level: 'warn',
        message: `time zone ${zone}; timedatectl cannot tell whether NTP synchronises the clock: ${why}`,
      },
    ];
  }
  if (synced === 'no') {
    return [
      {
        check,
        level: 'warn',
        message: `time zone ${zone}; the clock is not NTP-synchronised (timedatectl set-ntp true): ${why}`,
      },
    ];
  }
  return [{ check, level: 'ok', message: `time zone ${zone}; NTP-synchronised` }];
};

/** The data dir holds the database and secret.key: ours alone (0700), and writable. */
export const checkDataDir: Check = async (env) => {
  const check = 'data dir';
  const dir = env.config.dataDir;
  const stat = env.stat(dir);
  if (!stat) {
    const parent = existingAncestor(env, dir);
    return env.writable(parent)
      ? [{ check, level: 'ok', message: `${dir} does not exist yet; the first start creates it` }]
      : [
          {
            check,
            level: 'fail',
            message: `${dir} does not exist and ${parent} is not writable: create it for this user or set GATEHOUSE_DATA_DIR`,
          },
        ];
  }
  if (!stat.isDirectory)
    return [{ check, level: 'fail', message: `${dir} is not a directory: set GATEHOUSE_DATA_DIR` }];
  if (env.uid !== undefined && stat.uid !== env.uid) {
    return [
      {
        check,
        level: 'fail',
        message: `${dir} belongs to uid ${stat.uid}, not to this user (uid ${env.uid}): chown -R ${env.uid} ${dir}`,
      },
    ];
  }
  if (!env.writable(dir)) return [{ check, level: 'fail', message: `${dir} is not writable: chmod 700 ${dir}` }];
  const key = path.join(dir, 'secret.key');
  const keyStat = env.stat(key);
  if (keyStat && (keyStat.mode & 0o077) !== 0) {
    return [
      {
        check,
        level: 'fail',
        message: `${key} is readable by others (mode ${(keyStat.mode & 0o777).toString(8)}): chmod 600 ${key}`,
      },
    ];
  }
  if ((stat.mode & 0o077) !== 0) {
    return [
      {
        check,
        level: 'warn',
        message: `${dir} is open to others (mode ${(stat.mode & 0o777).toString(8)}): chmod 700 ${dir}`,
      },
    ];
  }
  return [
    {
      check,
      level: 'ok',
      message: `${dir}, owner only${keyStat ? ', secret.key 0600 (back it up with the database)' : ''}`,
    },
  ];
};
