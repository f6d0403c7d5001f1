import { execFile } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { accessSync, constants, existsSync, readFileSync, statfsSync, statSync } from 'node:fs';
import os from 'node:os';
import type { Config } from '../../config/index.ts';
import { findOnPath } from '../../wireguard/availability.ts';
import { portOwner, probePort } from '../ports.ts';
import type { DoctorEnv } from './types.ts';

/** The machine this process runs on, as the checks see it. */
export function realDoctorEnv(config: Config): DoctorEnv {
  return {
    config,
    uid: process.getuid?.(),
    probe: probePort,
    owner: (port) => portOwner(port, config),
    readFile: (file) => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
    },
    exists: existsSync,
    which: (bin) => findOnPath(bin),
    run: (bin, args) =>
      new Promise((resolve) => {
        execFile(bin, args, { timeout: 10_000, maxBuffer: 1024 * 1024 }, (err, stdout) =>
          resolve(
            err ? { ok: false, stdout: String(stdout), error: err.message.split('\n')[0] } : { ok: true, stdout },
          ),
        );
      }),
    freeBytes: (dir) => {
      try {
        const fs = statfsSync(dir);
        return fs.bavail * fs.bsize;
      } catch {
        return undefined;
      }
    },
    stat: (file) => {
      try {
        const s = statSync(file);
        return { uid: s.uid, mode: s.mode, isDirectory: s.isDirectory() };
      } catch {
        return undefined;
      }
    },
    writable: (dir) => {
      try {
        accessSync(dir, constants.W_OK);
        return true;
      } catch {
        return false;
      }
    },
    lookup: async (host) => (await lookup(host, { all: true })).map((a) => a.address),
    localAddresses: () =>
      Object.values(os.networkInterfaces())
        .flat()
        .flatMap((a) => (a ? [a.address] : [])),
    timezone: () => Intl.DateTimeFormat().resolvedOptions().timeZone,
  };
}
