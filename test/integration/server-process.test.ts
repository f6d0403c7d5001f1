// Real: `bin/gatehouse server` as a child process, the real Caddy binary under its supervision, a libSQL
// file, sockets on loopback, SIGTERM. Simulated: nothing (TLS uses Caddy's internal CA; ports are free
// high ports instead of 80/443).
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { caddyBin, processAlive, ROOT } from '../helpers/caddy.ts';
import { tempDir } from '../helpers/env.ts';
import { freePort } from '../helpers/net.ts';
import { waitFor } from '../helpers/wait.ts';

const children: ChildProcess[] = [];
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const c of cleanups.splice(0)) c();
});

async function startServer(extraEnv: Record<string, string> = {}) {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const [api, http, https] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(path.join(ROOT, 'bin', 'gatehouse'), ['server'], {
    env: {
      PATH: process.env.PATH,
      GATEHOUSE_DATA_DIR: dir,
      GATEHOUSE_LISTEN: `127.0.0.1:${api}`,
      GATEHOUSE_HTTP_PORT: String(http),
      GATEHOUSE_HTTPS_PORT: String(https),
      GATEHOUSE_TLS_ISSUER: 'internal',
      GATEHOUSE_CADDY_BIN: caddyBin(),
      GATEHOUSE_WG_ENABLED: 'false',
      GATEHOUSE_LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await waitFor('the startup banner', () => (stdout.includes('Admin login') ? true : undefined), 30_000).catch(
    (err) => {
      throw new Error(`${(err as Error).message}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    },
  );
  return { child, dir, api, http, https, output: () => ({ stdout, stderr }) };
}

/** An admin session cookie, logged in with the password the first start printed. */
async function adminCookie(port: number, stdout: string): Promise<string> {
  const password = /Admin login:\s+admin \/ (\S+)/.exec(stdout)?.[1];
  const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  expect(login.status).toBe(200);
  return (login.headers.get('set-cookie') ?? '').split(';')[0]!;
}

/** The health details need a login; the public /healthz says up or down only (issue 13 item 20). */
async function health(port: number, cookie: string) {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/health`, { headers: { cookie } });
  return {
    status: res.status,
    body: (await res.json()) as { status: string; caddy: { state: string; pid?: number; restarts: number } },
  };
}

describe('gatehouse server', () => {
  it('starts on embedded defaults, prints where it is and the admin credentials, and supervises Caddy', async () => {
    const server = await startServer();
    const { stdout } = server.output();
    expect(stdout).toContain(`http://127.0.0.1:${server.api}`);
    const password = /Admin login:\s+admin \/ (\S+)/.exec(stdout)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9]{20}$/);
    const cookie = await adminCookie(server.api, stdout);

    const ready = await waitFor(
      'caddy running in /api/v1/health',
      async () => {
        const h = await health(server.api, cookie);
        return h.body.caddy.state === 'running' ? h : undefined;
      },
      20_000,
    );
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ok');
    const publicHealth = await fetch(`http://127.0.0.1:${server.api}/healthz`);
    expect(await publicHealth.json()).toEqual({ status: 'ok' });

    // The printed password logs in.
    const login = await fetch(`http://127.0.0.1:${server.api}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    expect(login.status).toBe(200);
    expect(login.headers.get('set-cookie')).toMatch(/gatehouse_session=.*HttpOnly/i);

    // kill -9 of Caddy: supervised restart, healthy again within 2 s.
    const caddyPid = ready.body.caddy.pid!;
    const killedAt = Date.now();
    process.kill(caddyPid, 'SIGKILL');
    const back = await waitFor(
      'caddy restarted',
      async () => {
        const h = await health(server.api, cookie);
        return h.body.caddy.state === 'running' && h.body.caddy.pid !== caddyPid ? h : undefined;
      },
      5000,
    );
    expect(Date.now() - killedAt).toBeLessThan(2000);
    expect(back.body.caddy.restarts).toBe(1);

    // SIGTERM stops everything: the control plane exits 0 and Caddy is gone.
    const newCaddyPid = back.body.caddy.pid!;
    const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
    server.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(processAlive(newCaddyPid)).toBe(false);
  });

  it('a control plane killed outright leaves the data plane serving, and the next start adopts it', async () => {
    const first = await startServer();
    // Sessions live in the database, so this cookie also works on the restarted control plane.
    const cookie = await adminCookie(first.api, first.output().stdout);
    const ready = await waitFor(
      'caddy running',
      async () => {
        const h = await health(first.api, cookie);
        return h.body.caddy.state === 'running' ? h : undefined;
      },
      20_000,
    );
    const caddyPid = ready.body.caddy.pid!;
    const gone = new Promise((r) => first.child.once('exit', r));
    first.child.kill('SIGKILL');
    await gone;
    expect(processAlive(caddyPid)).toBe(true);

    const again = spawn(path.join(ROOT, 'bin', 'gatehouse'), ['server'], {
      env: {
        PATH: process.env.PATH,
        GATEHOUSE_DATA_DIR: first.dir,
        GATEHOUSE_LISTEN: `127.0.0.1:${first.api}`,
        GATEHOUSE_HTTP_PORT: String(first.http),
        GATEHOUSE_HTTPS_PORT: String(first.https),
        GATEHOUSE_TLS_ISSUER: 'internal',
        GATEHOUSE_CADDY_BIN: caddyBin(),
        GATEHOUSE_WG_ENABLED: 'false',
        GATEHOUSE_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(again);
    const adopted = await waitFor(
      'the restarted control plane to report Caddy',
      async () => {
        const h = await health(first.api, cookie).catch(() => undefined);
        return h?.body.caddy.state === 'running' ? h : undefined;
      },
      30_000,
    );
    expect(adopted.body.caddy.pid).toBe(caddyPid);
    expect(adopted.body.caddy.restarts).toBe(0);
    const exited = new Promise((r) => again.once('exit', r));
    again.kill('SIGTERM');
    await exited;
    expect(processAlive(caddyPid)).toBe(false);
  });

  it('does not print the password again on the next start', async () => {
    const first = await startServer({ GATEHOUSE_CADDY_ENABLED: 'false' });
    first.child.kill('SIGTERM');
    await new Promise((r) => first.child.once('exit', r));
    const { dir } = first;
    const again = spawn(path.join(ROOT, 'bin', 'gatehouse'), ['server'], {
      env: {
        PATH: process.env.PATH,
        GATEHOUSE_DATA_DIR: dir,
        GATEHOUSE_LISTEN: `127.0.0.1:${first.api}`,
        GATEHOUSE_CADDY_ENABLED: 'false',
        GATEHOUSE_WG_ENABLED: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(again);
    let out = '';
    again.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor('banner', () => (out.includes('Admin login') ? true : undefined), 30_000);
    expect(out).toContain('password set at first start');
    again.kill('SIGTERM');
  });

  it('stops with a message naming the variable when the configuration is bad', async () => {
    const child = spawn(path.join(ROOT, 'bin', 'gatehouse'), ['server'], {
      env: { PATH: process.env.PATH, GATEHOUSE_WG_PORT: 'eighty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(err).toContain('GATEHOUSE_WG_PORT: must be a number');
  });
});
