import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The real Caddy binary built from caddy-module/ by `npm run build:caddy` (the test command builds it first). */
export function caddyBin(): string {
  const bin = process.env.GATEHOUSE_CADDY_BIN ?? path.join(ROOT, 'bin', 'caddy');
  if (!existsSync(bin)) throw new Error(`no Caddy binary at ${bin}: run npm run build:caddy first`);
  return bin;
}

/** TCP ports a process listens on, from /proc/net/tcp{,6} and its fds. */
export function listeningTcpPorts(pid: number): number[] {
  const inodes = new Set<string>();
  const fdDir = `/proc/${pid}/fd`;
  for (const fd of readdirSync(fdDir)) {
    try {
      const link = readlinkSync(`${fdDir}/${fd}`);
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m) inodes.add(m[1]!);
    } catch {
      // fd closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') continue; // 0A = LISTEN
      if (inodes.has(cols[9]!)) ports.push(Number.parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes a MaxMind-format country database mapping CIDRs/addresses to ISO codes, with the project's own
 * writer (caddy-module/cmd/mkmmdb, built once into .tmp/). `format`: geolite (country.iso_code) or
 * iplocationdb (country_code, like the bundled CC0 database).
 */
export function writeTestMmdb(
  file: string,
  entries: Record<string, string>,
  format: 'geolite' | 'iplocationdb' = 'geolite',
): string {
  const bin = path.join(ROOT, '.tmp', 'mkmmdb');
  if (!existsSync(bin)) {
    execFileSync('go', ['build', '-o', bin, './cmd/mkmmdb'], {
      cwd: path.join(ROOT, 'caddy-module'),
      stdio: 'inherit',
    });
  }
  execFileSync(bin, ['-format', format, '-out', file, '-in', '-'], { input: JSON.stringify(entries) });
  return file;
}
