// Issue 14 items 5, 6, 11 and the operator's commands. Real: `bin/gatehouse` as a child process (from
// another working directory and through a symlink on PATH), sockets on loopback held by this test, the real
// Caddy binary for `doctor` and `--version`. Simulated: nothing.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { caddyBin, ROOT } from '../helpers/caddy.ts';
import { tempDir } from '../helpers/env.ts';
import { freePort, tcpServer } from '../helpers/net.ts';
import { waitFor } from '../helpers/wait.ts';

const GATEHOUSE = path.join(ROOT, 'bin', 'gatehouse');
const cleanups: (() => unknown)[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const c of cleanups.splice(0).reverse()) await c();
});

function dataDir(): string {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return dir;
}

/** Only what the command needs: no GATEHOUSE_* from the test's own environment leaks in. */
function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
}

/** Runs `bin/gatehouse server` until it exits (bounded); a server that keeps running fails the test. */
function runUntilExit(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(GATEHOUSE, ['server'], { env, cwd: os.tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => reject(new Error(`still running after 30 s\n${stdout}\n${stderr}`)), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('item 5: bin/gatehouse from anywhere', () => {
  it('answers --version from another working directory', () => {
    const run = spawnSync(GATEHOUSE, ['--version'], {
      cwd: os.tmpdir(),
      env: baseEnv({}),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^gatehouse \d+\.\d+\.\d+/);
    // The default Caddy is this installation's, found from /tmp too.
    expect(run.stdout).toMatch(/^caddy v2\.\d+\.\d+/m);
  });

  it('answers --version through a symlink in a PATH directory', () => {
    const dir = dataDir();
    symlinkSync(GATEHOUSE, path.join(dir, 'gatehouse'));
    const run = spawnSync('gatehouse', ['--version'], {
      cwd: dir,
      env: baseEnv({ PATH: `${dir}${path.delimiter}${process.env.PATH}` }),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^gatehouse \d+\.\d+\.\d+/);
  });
});

describe('item 6: a taken port', () => {
  const noStack = (stderr: string) => expect(stderr).not.toMatch(/^\s+at /m);

  it('GATEHOUSE_LISTEN: names the port, the setting and this test as the holder; exit 1, no stack', async () => {
    const holder = await tcpServer(() => {});
    cleanups.push(() => holder.close());
    const dir = dataDir();
    const result = await runUntilExit(
      baseEnv({
        GATEHOUSE_DATA_DIR: dir,
        GATEHOUSE_LISTEN: `127.0.0.1:${holder.port}`,
        GATEHOUSE_CADDY_ENABLED: 'false',
        GATEHOUSE_WG_ENABLED: 'false',
      }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`port ${holder.port}/tcp`);
    expect(result.stderr).toContain(`GATEHOUSE_LISTEN=127.0.0.1:${holder.port}`);
    expect(result.stderr).toContain(`held by pid ${process.pid}`);
    noStack(result.stderr);
    expect(result.stdout).not.toContain('Admin login');
  });

  it('GATEHOUSE_HTTPS_PORT (Caddy binds every address) held on loopback', async () => {
    const holder = await tcpServer(() => {});
    cleanups.push(() => holder.close());
    const result = await runUntilExit(
      baseEnv({
        GATEHOUSE_DATA_DIR: dataDir(),
        GATEHOUSE_LISTEN: `127.0.0.1:${await freePort()}`,
        GATEHOUSE_HTTP_PORT: String(await freePort()),
        GATEHOUSE_HTTPS_PORT: String(holder.port),
        GATEHOUSE_CADDY_BIN: caddyBin(),
        GATEHOUSE_WG_ENABLED: 'false',
      }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`GATEHOUSE_HTTPS_PORT=${holder.port}`);
    expect(result.stderr).toContain(`held by pid ${process.pid}`);
    noStack(result.stderr);
  });

  it('GATEHOUSE_WG_PORT (UDP) when WireGuard is required', async () => {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
    const port = socket.address().port;
    const result = await runUntilExit(
      baseEnv({
        GATEHOUSE_DATA_DIR: dataDir(),
        GATEHOUSE_LISTEN: `127.0.0.1:${await freePort()}`,
        GATEHOUSE_CADDY_ENABLED: 'false',
        GATEHOUSE_WG_ENABLED: 'true',
        GATEHOUSE_WG_PORT: String(port),
        // Its own name: were the check to let the start through, no interface of anyone else is touched.
        GATEHOUSE_WG_INTERFACE: `ghdoc${process.pid % 10000}`,
      }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`port ${port}/udp`);
    expect(result.stderr).toContain(`GATEHOUSE_WG_PORT=${port}`);
    noStack(result.stderr);
  });
});

describe('item 11: the banner stays readable', () => {
  async function serverWithRequests(level: string) {
    const api = await freePort();
    const child = spawn(GATEHOUSE, ['server'], {
      cwd: os.tmpdir(),
      env: baseEnv({
        GATEHOUSE_DATA_DIR: dataDir(),
        GATEHOUSE_LISTEN: `127.0.0.1:${api}`,
        GATEHOUSE_CADDY_ENABLED: 'false',
        GATEHOUSE_WG_ENABLED: 'false',
        GATEHOUSE_LOG_LEVEL: level,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor('the banner', () => (stdout.includes('Admin login') ? true : undefined), 30_000);
    for (let i = 0; i < 5; i++) await (await fetch(`http://127.0.0.1:${api}/healthz`)).text();
    await (await fetch(`http://127.0.0.1:${api}/api/v1/health`)).text();
    // Let any line the requests caused arrive.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const requestLines = stderr.split('\n').filter((line) => line.includes('"msg":"request"'));
    return { stdout, stderr, requestLines };
  }

  it('writes no line per request at info; the banner is alone on stdout', async () => {
    const { stdout, stderr, requestLines } = await serverWithRequests('info');
    expect(requestLines).toEqual([]);
    expect(stderr).toContain('control plane listening');
    expect(stdout).toMatch(/Admin login:\s+admin \/ \S+/);
    expect(stdout).not.toContain('{"level"');
  });

  it('still logs each request at debug', async () => {
    const { requestLines } = await serverWithRequests('debug');
    expect(requestLines.length).toBeGreaterThanOrEqual(6);
  });
});

describe('gatehouse doctor', () => {
  it('checks a fresh data dir: one ok/warn/fail line per check, exit code 1 only on a failure', async () => {
    const dir = path.join(dataDir(), 'data');
    const run = spawnSync(GATEHOUSE, ['doctor'], {
      cwd: os.tmpdir(),
      env: baseEnv({
        GATEHOUSE_DATA_DIR: dir,
        GATEHOUSE_LISTEN: `127.0.0.1:${await freePort()}`,
        GATEHOUSE_HTTP_PORT: String(await freePort()),
        GATEHOUSE_HTTPS_PORT: String(await freePort()),
        GATEHOUSE_CADDY_BIN: caddyBin(),
        GATEHOUSE_WG_ENABLED: 'false',
      }),
      encoding: 'utf8',
      timeout: 60_000,
    });
    const lines = run.stdout.trim().split('\n');
    for (const line of lines) expect(line).toMatch(/^(ok|warn|fail) +\S/);
    const byCheck = (name: string) => lines.find((l) => new RegExp(`^\\w+ +${name} `).test(l));
    expect(byCheck('data dir')).toMatch(/^ok .*does not exist yet/);
    expect(byCheck('caddy')).toMatch(/^ok .*gatehouse module/);
    expect(byCheck('port GATEHOUSE_LISTEN')).toMatch(/^ok .*is free/);
    expect(byCheck('wireguard')).toMatch(/^ok .*disabled/);
    for (const name of ['disk', 'forwarding', 'dns', 'clock']) expect(byCheck(name)).toBeDefined();
    expect(run.status).toBe(lines.some((l) => l.startsWith('fail')) ? 1 : 0);
  });

  it('fails (exit 1) on a port another program holds, and names it', async () => {
    const holder = await tcpServer(() => {});
    cleanups.push(() => holder.close());
    const run = spawnSync(GATEHOUSE, ['doctor'], {
      cwd: os.tmpdir(),
      env: baseEnv({
        GATEHOUSE_DATA_DIR: dataDir(),
        GATEHOUSE_LISTEN: `127.0.0.1:${holder.port}`,
        GATEHOUSE_CADDY_ENABLED: 'false',
        GATEHOUSE_WG_ENABLED: 'false',
      }),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^fail +port GATEHOUSE_LISTEN .*held by pid ${process.pid}`, 'm'));
  });
});
