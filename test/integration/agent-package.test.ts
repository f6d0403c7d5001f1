// Real: `npm pack` of packages/protocol and packages/agent (their prepack builds dist/ with tsc), `npm install`
// of the two tarballs alone into an empty directory (zod, pino and the rest from the npm cache or registry),
// the installed `gatehouse-agent` bin as its own Node process, the control plane's HTTP app with a real
// gateway hub on loopback, an echo server as the LAN target. Simulated: the routes compiler (a scripted
// config source stands in for it).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/env.ts';
import { controlPlane, emptyBody } from '../helpers/gateway.ts';
import { echoServer, freePort } from '../helpers/net.ts';
import { waitFor } from '../helpers/wait.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
/** What the server needs and a LAN box must not install. */
const SERVER_ONLY = [/argon2/, /libsql/, /^hono$/, /^@hono\//, /drizzle/, /openapi/, /^tsx$/, /^esbuild$/];

/** Every package name under a node_modules tree, nested ones included. */
function installedPackages(dir: string): string[] {
  const names: string[] = [];
  if (!existsSync(dir)) return names;
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('.')) continue;
    const scoped = entry.startsWith('@');
    for (const name of scoped ? readdirSync(path.join(dir, entry)).map((n) => `${entry}/${n}`) : [entry]) {
      names.push(name);
      names.push(...installedPackages(path.join(dir, name, 'node_modules')));
    }
  }
  return names;
}

function echoRoundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    socket.setTimeout(5_000, () => socket.destroy(new Error('no echo within 5 s')));
    socket.once('data', (d) => {
      resolve(d.toString());
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

describe('the agent as a package of its own', () => {
  const packDir = tempDir('gatehouse-pack-');
  const installDir = tempDir('gatehouse-agent-install-');
  const stateDir = tempDir('gatehouse-agent-state-');
  let child: ChildProcess | undefined;
  let stderr = '';
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    await run(
      'npm',
      ['pack', '-w', '@gatehouse/protocol', '-w', '@gatehouse/agent', '--pack-destination', packDir.dir, '--silent'],
      { cwd: ROOT, timeout: 120_000 },
    );
    const tarballs = readdirSync(packDir.dir)
      .filter((f) => f.endsWith('.tgz'))
      .map((f) => path.join(packDir.dir, f));
    expect(tarballs.map((f) => path.basename(f)).sort()).toEqual([
      'gatehouse-agent-0.2.0.tgz',
      'gatehouse-protocol-0.1.0.tgz',
    ]);
    await run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error', ...tarballs],
      { cwd: installDir.dir, timeout: 180_000 },
    );
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child?.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    for (const cleanup of cleanups.reverse()) await cleanup();
    for (const dir of [packDir, installDir, stateDir]) dir.cleanup();
  });

  it('installs alone: no server dependency, compiled JavaScript only', () => {
    const names = installedPackages(path.join(installDir.dir, 'node_modules'));
    expect(names).toEqual(expect.arrayContaining(['@gatehouse/agent', '@gatehouse/protocol', 'zod', 'pino']));
    expect(names.filter((n) => SERVER_ONLY.some((re) => re.test(n)))).toEqual([]);
    const agentDir = path.join(installDir.dir, 'node_modules/@gatehouse/agent');
    expect(existsSync(path.join(agentDir, 'dist/index.js'))).toBe(true);
    expect(existsSync(path.join(agentDir, 'src'))).toBe(false);
    expect(JSON.parse(readFileSync(path.join(agentDir, 'package.json'), 'utf8')).bin).toHaveProperty('gatehouse-agent');
  });

  it('runs against a server: connects, applies its config, forwards, and reports its status', async () => {
    const cp = await controlPlane();
    cleanups.push(() => cp.cleanup());
    const target = await echoServer();
    cleanups.push(() => target.close());
    const { row, token } = await cp.newGateway('lan-box');
    const port = await freePort();
    const route = { route_id: 3, protocol: 'tcp' as const, listen_port: port };
    await cp.change({
      [row.id]: {
        ...emptyBody(),
        l4_routes: [{ ...route, target_lan_host: '127.0.0.1', target_lan_port: target.port }],
      },
    });

    // The bin as npm linked it (its shebang finds this Node first on PATH), with flags as a person types them.
    const bin = path.join(installDir.dir, 'node_modules/.bin/gatehouse-agent');
    child = spawn(bin, ['--server', cp.url, '--token', token, '--state-dir', stateDir.dir], {
      cwd: installDir.dir,
      env: {
        PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        GATEHOUSE_GATEWAY_LISTEN_HOST: '127.0.0.1',
        GATEHOUSE_GATEWAY_ALLOW_LOOPBACK_TARGETS: 'true',
        GATEHOUSE_GATEWAY_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const running = () => child?.exitCode === null && child.signalCode === null;

    await waitFor('the agent to connect', () => cp.hub.isOnline(row.id) || !running(), 20_000).catch((err) => {
      throw new Error(`${(err as Error).message}\nagent stderr:\n${stderr}`);
    });
    expect(running(), `agent exited early:\n${stderr}`).toBe(true);

    // The status report arrives: the server stores the applied version and the listener the agent opened.
    const status = async () => {
      const result = await cp.db.client.execute({
        sql: 'SELECT applied_version, last_status FROM gateways WHERE id = ?',
        args: [row.id],
      });
      return result.rows[0];
    };
    await waitFor('the status report', async () => (await status())?.applied_version === 2, 20_000).catch((err) => {
      throw new Error(`${(err as Error).message}\nagent stderr:\n${stderr}`);
    });
    const report = JSON.parse(String((await status())?.last_status));
    expect(report).toMatchObject({
      applied_version: 2,
      listeners: [{ route_id: route.route_id, port, protocol: 'tcp', state: 'listening' }],
      targets: [{ route_id: route.route_id, reachable: true }],
    });

    expect(await echoRoundTrip(port, 'through the packed agent')).toBe('through the packed agent');
    expect(stderr).toContain('"agent started"');
    expect(stderr).not.toContain(token);
  });
});
