import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The real Caddy binary built from caddy-module/ by `npm run build:caddy` (the test command builds it first). */
export function caddyBin(): string {
  const bin = process.env.GATEHOUSE_CADDY_BIN ?? path.join(ROOT, 'bin', 'caddy');
  if (!existsSync(bin)) throw new Error(`no Caddy binary at ${bin}: run npm run build:caddy first`);
  return bin;
}

/** A port that was free a moment ago (bind :0, read, close). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
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

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  stepMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
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
