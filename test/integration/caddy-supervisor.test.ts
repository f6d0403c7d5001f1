// Real: the Caddy binary built from caddy-module/, its admin API on a unix socket, process signals.
// Simulated: nothing; the static config here is a minimal one (the full one is tested in server-process).
import { statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CaddySupervisor } from '../../src/caddy/supervisor.ts';
import { caddyBin, listeningTcpPorts, processAlive } from '../helpers/caddy.ts';
import { silentLogger, tempDir } from '../helpers/env.ts';
import { freePort } from '../helpers/net.ts';
import { waitFor } from '../helpers/wait.ts';

const running: CaddySupervisor[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
  for (const c of cleanups.splice(0)) c();
});

async function startCaddy() {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const port = await freePort();
  const adminSocket = path.join(dir, 'caddy-admin.sock');
  const staticConfig = {
    admin: { listen: `unix/${adminSocket}|0600`, config: { persist: false } },
    apps: {
      http: {
        servers: {
          probe: {
            listen: [`127.0.0.1:${port}`],
            routes: [{ handle: [{ handler: 'static_response', body: 'static config loaded' }] }],
          },
        },
      },
    },
  };
  const supervisor = new CaddySupervisor({
    bin: caddyBin(),
    dataDir: path.join(dir, 'caddy'),
    adminSocket,
    staticConfig,
    logger: silentLogger,
  });
  running.push(supervisor);
  await supervisor.start();
  return { supervisor, adminSocket, port, dir };
}

async function httpBody(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/`);
  return res.text();
}

describe('CaddySupervisor', () => {
  it('serves the admin API on a 0600 unix socket and never on TCP', async () => {
    const { supervisor, adminSocket, port } = await startCaddy();
    expect(supervisor.state).toBe('running');
    const stat = statSync(adminSocket);
    expect(stat.isSocket()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o600);
    // The only TCP listener is the configured HTTP server: no admin endpoint on 2019 or anywhere else.
    expect(listeningTcpPorts(supervisor.status().pid!)).toEqual([port]);
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect(2019, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    expect(await httpBody(port)).toBe('static config loaded');
  });

  it('restarts Caddy after kill -9 and has the static config back within 2 s', async () => {
    const { supervisor, port } = await startCaddy();
    const firstPid = supervisor.status().pid!;
    const killedAt = Date.now();
    process.kill(firstPid, 'SIGKILL');
    await waitFor(
      'the restarted Caddy to serve the static config',
      async () => {
        const pid = supervisor.status().pid;
        if (!pid || pid === firstPid || supervisor.state !== 'running') return undefined;
        return (await httpBody(port)) === 'static config loaded' ? true : undefined;
      },
      5000,
    );
    const elapsed = Date.now() - killedAt;
    expect(elapsed).toBeLessThan(2000);
    expect(supervisor.status().restarts).toBe(1);
    const { config } = await supervisor.admin.config();
    expect(JSON.stringify(config)).toContain('static config loaded');
  });

  it('stops Caddy on stop() and leaves no process behind', async () => {
    const { supervisor } = await startCaddy();
    const pid = supervisor.status().pid!;
    expect(processAlive(pid)).toBe(true);
    await supervisor.stop();
    expect(processAlive(pid)).toBe(false);
    expect(supervisor.state).toBe('stopped');
  });

  it('reports a missing binary clearly', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const supervisor = new CaddySupervisor({
      bin: path.join(dir, 'no-such-caddy'),
      dataDir: dir,
      adminSocket: path.join(dir, 's.sock'),
      staticConfig: {},
      logger: silentLogger,
    });
    await expect(supervisor.start()).rejects.toThrow(/Caddy binary not found .*npm run build:caddy/);
    expect(supervisor.status()).toMatchObject({ state: 'failed' });
  });
});

describe('CaddySupervisor across control-plane restarts', () => {
  it('adopts a Caddy left running with the same static config: no restart, traffic never interrupted', async () => {
    const { supervisor, adminSocket, port, dir } = await startCaddy();
    const pid = supervisor.status().pid!;
    // The control plane "dies" without stopping Caddy: the supervisor lets go, the process keeps running.
    running.splice(running.indexOf(supervisor), 1);
    supervisor.release();
    expect(await httpBody(port)).toBe('static config loaded');

    const again = new CaddySupervisor({
      bin: caddyBin(),
      dataDir: path.join(dir, 'caddy'),
      adminSocket,
      staticConfig: (await supervisor.admin.config()).config as Record<string, unknown>,
      logger: silentLogger,
    });
    running.push(again);
    await again.start();
    expect(again.status().pid).toBe(pid);
    expect(again.state).toBe('running');
    expect(await httpBody(port)).toBe('static config loaded');

    // It still watches the adopted process: kill -9 is followed by a restart.
    process.kill(pid, 'SIGKILL');
    await waitFor(
      'a new Caddy after the adopted one died',
      async () => {
        const now = again.status().pid;
        return now && now !== pid && again.state === 'running' && (await httpBody(port)) === 'static config loaded'
          ? true
          : undefined;
      },
      5000,
    );
    await again.stop();
    expect(processAlive(again.status().pid ?? pid)).toBe(false);
  });

  it('replaces a leftover Caddy whose config differs', async () => {
    const { supervisor, adminSocket, dir } = await startCaddy();
    const pid = supervisor.status().pid!;
    running.splice(running.indexOf(supervisor), 1);
    supervisor.release();
    const port = await freePort();
    const other = new CaddySupervisor({
      bin: caddyBin(),
      dataDir: path.join(dir, 'caddy'),
      adminSocket,
      staticConfig: {
        admin: { listen: `unix/${adminSocket}|0600`, config: { persist: false } },
        apps: {
          http: {
            servers: {
              s: {
                listen: [`127.0.0.1:${port}`],
                routes: [{ handle: [{ handler: 'static_response', body: 'new config' }] }],
              },
            },
          },
        },
      },
      logger: silentLogger,
    });
    running.push(other);
    await other.start();
    expect(processAlive(pid)).toBe(false);
    expect(other.status().pid).not.toBe(pid);
    expect(await httpBody(port)).toBe('new config');
  });
});
