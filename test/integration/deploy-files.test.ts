// docs/deploy.md's shipped files. Real: `systemd-analyze verify` on the units in deploy/systemd/ (with the
// install path pointed at this checkout, which is what verify needs to find ExecStart), the compose file
// parsed as YAML, the Dockerfile's HEALTHCHECK command run against /healthz bodies. Simulated: the server
// behind /healthz (a loopback stub answering like src/app.ts).
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../helpers/caddy.ts';
import { tempDir } from '../helpers/env.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function hasSystemdAnalyze(): boolean {
  return spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;
}

describe('deploy/systemd', () => {
  for (const unit of ['gatehouse.service', 'gatehouse-agent.service']) {
    it(`${unit} passes systemd-analyze verify`, (ctx) => {
      if (!hasSystemdAnalyze()) {
        console.log('skipped: systemd-analyze is not installed (scripts/install.sh --test installs systemd)');
        ctx.skip();
      }
      const { dir, cleanup } = tempDir();
      cleanups.push(cleanup);
      const text = readFileSync(path.join(ROOT, 'deploy', 'systemd', unit), 'utf8').replaceAll('/opt/gatehouse', ROOT);
      writeFileSync(path.join(dir, unit), text);
      const run = spawnSync('systemd-analyze', ['verify', path.join(dir, unit)], { encoding: 'utf8', timeout: 60_000 });
      // verify prints problems of the unit itself prefixed with its name; unrelated host units are not ours.
      const ours = `${run.stdout}${run.stderr}`.split('\n').filter((line) => line.includes(unit));
      expect(ours).toEqual([]);
      expect(run.status).toBe(0);
    });
  }

  it('the server unit keeps the data in its StateDirectory and grants only the two capabilities', () => {
    const text = readFileSync(path.join(ROOT, 'deploy', 'systemd', 'gatehouse.service'), 'utf8');
    expect(text).toMatch(/^StateDirectory=gatehouse$/m);
    expect(text).toMatch(/^Environment=GATEHOUSE_DATA_DIR=\/var\/lib\/gatehouse\b/m);
    expect(text).toMatch(/^CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE$/m);
  });
});

describe('deploy/docker-compose.yml', () => {
  it('publishes 80, 443 and 51820/udp on a bridge network (no host networking)', () => {
    const compose = parse(readFileSync(path.join(ROOT, 'deploy', 'docker-compose.yml'), 'utf8'));
    const service = compose.services.gatehouse;
    expect(service.network_mode).toBeUndefined();
    expect(service.ports).toEqual(expect.arrayContaining(['80:80', '443:443', '51820:51820/udp']));
    expect(service.volumes).toContain('gatehouse-data:/data');
  });
});

describe('Dockerfile HEALTHCHECK', () => {
  async function stub(status: number, body: unknown) {
    const server = http.createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    return (server.address() as AddressInfo).port;
  }

  /** Asynchronous: the stub answers from this very process, so a blocking spawn would wait for ever. */
  function healthcheck(port: number): Promise<number | null> {
    const line = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('HEALTHCHECK'))!;
    const script = /node -e "(.*)"$/.exec(line)![1]!.replace('127.0.0.1:3000', `127.0.0.1:${port}`);
    return new Promise((resolve) => {
      const child = execFile(process.execPath, ['-e', script], { timeout: 10_000 });
      child.on('exit', (code) => resolve(code));
    });
  }

  it('is healthy on {"status":"ok"} and unhealthy on {"status":"down"} or nothing listening', async () => {
    expect(await healthcheck(await stub(200, { status: 'ok' }))).toBe(0);
    expect(await healthcheck(await stub(503, { status: 'down' }))).toBe(1);
    const gone = await stub(200, { status: 'ok' });
    await cleanups.pop()!();
    expect(await healthcheck(gone)).toBe(1);
  });
});
