import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The installation's root: src/host/ is two levels below it. */
export const INSTALL_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface VersionInfo {
  version: string;
  /** Short commit of the checkout, with `-dirty` when it has changes; undefined outside a git checkout. */
  commit: string | undefined;
  /** `caddy version`, or why it is not known. */
  caddy: string;
  /** The hash of caddy-module's sources the binary was built from (bin/.caddy-build-hash), first 12 digits. */
  caddyModule: string | undefined;
}

function run(bin: string, args: string[], cwd?: string): string | undefined {
  try {
    return execFileSync(bin, args, {
      cwd,
      timeout: 5000,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

export function versionInfo(caddyBin: string, root = INSTALL_ROOT): VersionInfo {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  const commit = existsSync(path.join(root, '.git'))
    ? run('git', ['-C', root, 'describe', '--always', '--dirty', '--abbrev=12', '--exclude', '*'])
    : undefined;
  const caddyVersion = existsSync(caddyBin)
    ? (run(caddyBin, ['version'])?.split(' ')[0] ?? `${caddyBin} does not run`)
    : `not found at ${caddyBin}`;
  let caddyModule: string | undefined;
  try {
    caddyModule = readFileSync(path.join(path.dirname(caddyBin), '.caddy-build-hash'), 'utf8')
      .trim()
      .slice(0, 12);
  } catch {
    caddyModule = undefined;
  }
  return { version: pkg.version, commit, caddy: caddyVersion, caddyModule };
}

/** `gatehouse 0.1.0 (commit 1a2b3c4d5e6f)` and one line for Caddy. */
export function formatVersion(info: VersionInfo): string {
  const head = `gatehouse ${info.version}${info.commit ? ` (commit ${info.commit})` : ''}`;
  const module = info.caddyModule ? `, gatehouse module ${info.caddyModule}` : '';
  return `${head}\ncaddy ${info.caddy}${module}`;
}
