import { accessSync, constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** What the default depends on; the real process unless a test says otherwise. */
export interface DataDirHost {
  uid: number | undefined;
  home: string;
  /** Can this process create a directory in `dir`? */
  writable(dir: string): boolean;
}

const SYSTEM_DATA_DIR = '/var/lib/gatehouse';

function isWritable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

const realHost = (): DataDirHost => ({ uid: process.getuid?.(), home: os.homedir(), writable: isWritable });

/**
 * Where the data lives when GATEHOUSE_DATA_DIR is unset: always an absolute path, so the same database is
 * found whichever directory the command is started from. Root (a system service) uses /var/lib/gatehouse;
 * everyone else $XDG_DATA_HOME/gatehouse, else ~/.local/share/gatehouse (the XDG base directory default).
 * The quick start (scripts/start.sh) sets ./.data explicitly; docs/deploy.md ("Where the data lives").
 */
export function defaultDataDir(env: NodeJS.ProcessEnv, host: DataDirHost = realHost()): string {
  if (host.uid === 0 && host.writable(path.dirname(SYSTEM_DATA_DIR))) return SYSTEM_DATA_DIR;
  const xdg = env.XDG_DATA_HOME;
  // The XDG spec ignores a relative XDG_DATA_HOME; so do we, for the same reason as above.
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'gatehouse');
  return path.join(host.home, '.local', 'share', 'gatehouse');
}
