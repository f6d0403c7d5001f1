// Issue 21: `gatehouse server --role edge` whose primary is down at start. Real: `bin/gatehouse server` as child
// processes (first as the primary, to create the data, then `--role edge` on the same data dir with its primary
// unreachable), the real Caddy binary under supervision, an L4 route to a TCP echo server, the REST API over
// loopback. Simulated: the unreachable primary sqld (a closed loopback port).
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { caddyBin, ROOT } from '../helpers/caddy.ts';
import { tempDir } from '../helpers/env.ts';
import { echoServer, freePort, tcpRoundTrip } from '../helpers/net.ts';
import { waitFor } from '../helpers/wait.ts';

const children: ChildProcess[] = [];
const { dir, cleanup } = tempDir('gatehouse-edge-role-');
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  cleanup();
});

async function run(args: string[], env: Record<string, string>) {
  const child = spawn(path.join(ROOT, 'bin', 'gatehouse'), ['server', ...args], {
    env: {
      PATH: process.env.PATH,
      GATEHOUSE_DATA_DIR: dir,
      GATEHOUSE_TLS_ISSUER: 'internal',
      GATEHOUSE_CADDY_BIN: caddyBin(),
      GATEHOUSE_WG_ENABLED: 'false',
      GATEHOUSE_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await waitFor('the startup banner', () => (stdout.includes('Admin login') ? true : undefined), 60_000).catch(
    (err) => {
      throw new Error(`${(err as Error).message}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    },
  );
  const stop = () =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { stdout: () => stdout, stderr: () => stderr, stop };
}

describe('an edge whose primary is down at start', () => {
  it('serves its last snapshot and reads; writes answer 503 unavailable within the deadline', async () => {
    const echo = await echoServer('e:');
    const [api, http, https, l4] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const ports = {
      GATEHOUSE_LISTEN: `127.0.0.1:${api}`,
      GATEHOUSE_HTTP_PORT: String(http),
      GATEHOUSE_HTTPS_PORT: String(https),
    };
    const base = `http://127.0.0.1:${api}`;

    // The data as the edge last had it: made by a primary run (admin, a token, an L4 route).
    const primary = await run([], ports);
    const password = /Admin login:\s+admin \/ (\S+)/.exec(primary.stdout())?.[1];
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const csrf = ((await login.json()) as { csrf_token: string }).csrf_token;
    const created = await fetch(`${base}/api/v1/tokens`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ops', scope: 'admin' }),
    });
    const token = ((await created.json()) as { token: string }).token;
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const route = await fetch(`${base}/api/v1/routes`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ type: 'l4', l4_listen_port: l4, target_host: '127.0.0.1', target_port: echo.port }),
    });
    expect(route.status).toBe(201);
    await waitFor('the route is live', async () =>
      (await tcpRoundTrip(l4, 'x').catch(() => '')) === 'e:x' ? true : undefined,
    );
    await primary.stop();

    // Now an edge on the same data, its primary unreachable.
    const deadPrimary = `http://127.0.0.1:${await freePort()}`;
    const edge = await run(['--role', 'edge'], {
      ...ports,
      GATEHOUSE_DB_SYNC_URL: deadPrimary,
      GATEHOUSE_DB_DEADLINE_MS: '1000',
    });
    expect(edge.stdout()).not.toMatch(/Admin login:\s+admin \//); // the edge creates no admin
    await waitFor('the route is served by the edge', async () =>
      (await tcpRoundTrip(l4, 'y').catch(() => '')) === 'e:y' ? true : undefined,
    );
    const read = await fetch(`${base}/api/v1/tokens`, { headers: auth });
    expect(read.status).toBe(200);
    const started = Date.now();
    const write = await fetch(`${base}/api/v1/tokens`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'while-down', scope: 'read' }),
    });
    expect(Date.now() - started).toBeLessThan(2500);
    expect(write.status).toBe(503);
    expect(((await write.json()) as { error: { code: string } }).error.code).toBe('unavailable');
    await edge.stop();
    echo.close?.();
  }, 180_000);
});
