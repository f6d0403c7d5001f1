// Issue 21, all of it in one setup (test/e2e/support/edges-world.ts): in network namespaces, a sqld primary and
// standby, two edges (Caddy + `gatehouse server --role edge` + wireguard-go + keepalived with the shipped
// example configuration), one agent with a WireGuard peer per edge following both control planes, a LAN service
// behind it, and a client namespace sending HTTPS requests to the floating address under load. Real: every
// process named; nothing simulated. Steps, in order: replica lag; N concurrent writer processes; edge A killed
// under load → clients answered through B; the primary killed → writes 503 within the deadline while routes
// keep serving and reads go on; the standby promoted → writes resume, nothing acknowledged lost.
// Prints every figure with the prefix "edges:". Root and a built sqld only; skips with the reason printed.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../../src/db/index.ts';
import { promoteStandby } from '../../src/db/promote.ts';
import { currentVersion } from '../../src/services/config/version.ts';
import { ROOT } from '../helpers/caddy.ts';
import { waitFor } from '../helpers/wait.ts';
import { buildEdgesWorld, DEADLINE_MS, EDGES, type EdgesWorld, LAN, VIP } from './support/edges-world.ts';
import { findSqld, type Sqld, startSqld, stopProcess } from './support/sqld.ts';
import { type ManagedProcess, namespaceSkipReason } from './support/topology.ts';

const found = findSqld();
const reason = found.reason ?? (await namespaceSkipReason(['ip', 'wg', 'keepalived', 'curl']));
if (reason) process.stdout.write(`edges: skipped: ${reason}\n`);
const report = (line: string) => process.stdout.write(`edges: ${line}\n`);

const HOST = 'app.edges.test';
/**
 * HTTPS to `addr` for `HOST` every 20 ms for at most `seconds`; prints "<ms> <status or -> <certificate>"
 * lines. Each edge's Caddy has its own internal CA, so the certificate's fingerprint names the edge that answered.
 */
const CLIENT = `
const https = require('node:https');
const [addr, host, seconds] = process.argv.slice(1);
const start = Date.now();
const tick = () => {
  if (Date.now() - start > Number(seconds) * 1000) process.exit(0);
  const req = https.get({ host: addr, port: 443, servername: host, headers: { host }, path: '/', timeout: 500,
    agent: false, rejectUnauthorized: false }, (res) => {
    const cert = res.socket.getPeerCertificate().fingerprint256;
    let body = '';
    res.on('data', (d) => (body += d));
    res.on('end', () => { console.log(Date.now() + ' ' + (body.startsWith('lan') ? res.statusCode : '!' + res.statusCode) + ' ' + cert); setTimeout(tick, 20); });
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => { console.log(Date.now() + ' -'); setTimeout(tick, 20); });
};
tick();
`;

const answers = (client: ManagedProcess, since: number) =>
  client
    .log()
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .filter(([t]) => Number(t) >= since)
    .map(([t, status, cert]) => ({ at: Number(t), ok: status === '200', cert }));

describe.skipIf(reason !== undefined)('edges: two edges, sqld primary and standby, one agent', () => {
  let world: EdgesWorld;
  let promoted: Sqld | undefined;
  let standbyReader: DbHandle | undefined;
  let warm: NodeJS.Timeout | undefined;
  const acknowledged: string[] = [];
  let lastVersion = 0;

  const createRoute = (edge: 'a' | 'b', domain: string) =>
    world.api(edge, 'POST', '/api/v1/routes', {
      domain,
      target_kind: 'gateway',
      gateway_id: world.gatewayId,
      target_lan_host: LAN.addr,
      target_lan_port: 8080,
    });
  const curlThrough = (addr: string) =>
    world.topo.exec('cl', ['curl', '-sk', '-m', '3', '--resolve', `${HOST}:443:${addr}`, `https://${HOST}/`]);

  beforeAll(async () => {
    world = await buildEdgesWorld(found.sqld!, (line) => report(`setup: ${line}`));
    // An idle sqld replica holds no data: the standby is kept warm by reads (docs/scaling.md).
    standbyReader = createDb({ url: world.standby.http, deadlineMs: DEADLINE_MS });
    const reader = standbyReader;
    warm = setInterval(() => void reader.client.execute('SELECT count(*) FROM routes').catch(() => {}), 250);
    const res = await createRoute('b', HOST);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    acknowledged.push(HOST);
    // Both edges serve the route through their own tunnel to the agent.
    for (const edge of ['a', 'b'] as const) {
      await waitFor(
        `edge ${edge} serves ${HOST}`,
        async () => ((await curlThrough(EDGES[edge].addr).catch(() => '')).startsWith('lan') ? true : undefined),
        30_000,
        250,
      ).catch(async (err) => {
        const wg = await Promise.all(
          ['eb', 'gw'].map((role) => world.topo.exec(role, ['wg', 'show', 'all']).catch((e) => String(e))),
        );
        const got = await curlThrough(EDGES[edge].addr).catch((e) => String(e));
        throw new Error(`${(err as Error).message}\ncurl: ${got}\n${wg.join('\n')}\n${world.topo.logs(30)}`);
      });
    }
  }, 300_000);

  afterAll(async () => {
    if (warm) clearInterval(warm);
    standbyReader?.close();
    await world?.topo.destroy();
    for (const s of [world?.primary, world?.standby, promoted]) if (s) await stopProcess(s.proc, 'SIGKILL');
    // A test leaves nothing on the host: no UAPI socket of this run's WireGuard interfaces (edge A was killed).
    if (world && existsSync('/var/run/wireguard'))
      expect(readdirSync('/var/run/wireguard').filter((f) => f.endsWith(`${world!.topo.id}.sock`))).toEqual([]);
  });

  it('replica lag: a write through edge A is visible on edge B and on the standby', async () => {
    const started = Date.now();
    const res = await createRoute('a', 'lag.edges.test');
    expect(res.status).toBe(201);
    acknowledged.push('lag.edges.test');
    await waitFor(
      'edge B has it',
      async () => ((await world.api('b', 'GET', `/api/v1/routes/${res.body.id}`)).status === 200 ? true : undefined),
      20_000,
      20,
    );
    const edgeLag = Date.now() - started;
    await waitFor(
      'the standby has it',
      async () =>
        (await standbyReader!.client.execute("SELECT 1 FROM routes WHERE domain = 'lag.edges.test'")).rows.length > 0
          ? true
          : undefined,
      20_000,
      20,
    );
    report(`replica lag: write via edge A → on edge B ${edgeLag} ms, on the standby ${Date.now() - started} ms`);
  });

  it('N concurrent writer processes: no BUSY, versions unique and monotonic', async () => {
    const writers = 4;
    const each = 15;
    const script = path.join(ROOT, 'test/e2e/support/version-writer.ts');
    const outputs = await Promise.all(
      Array.from(
        { length: writers },
        () =>
          new Promise<string>((resolve, reject) => {
            const child = spawn(process.execPath, ['--import', 'tsx', script, world.primary.http, String(each)], {
              cwd: ROOT,
            });
            let out = '';
            let err = '';
            const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
            child.stdout.on('data', (d) => (out += d));
            child.stderr.on('data', (d) => (err += d));
            child.on('exit', (code) => {
              clearTimeout(timer);
              code === 0 ? resolve(out) : reject(new Error(`writer exited ${code}: ${err}`));
            });
          }),
      ),
    );
    const all = outputs.flatMap((out) => {
      const versions = out.trim().split('\n').map(Number);
      expect(versions).toHaveLength(each);
      expect([...versions].sort((a, b) => a - b)).toEqual(versions);
      return versions;
    });
    expect(new Set(all).size).toBe(writers * each);
    lastVersion = Math.max(...all);
    report(`${writers} writer processes × ${each} writes: no BUSY, ${all.length} distinct monotonic versions`);
  }, 120_000);

  it('edge A killed under load: clients are answered through edge B', async () => {
    const client = world.topo.spawn('cl', 'client (failover)', process.execPath, ['-e', CLIENT, VIP, HOST, '60']);
    await client.waitFor(/ 200 /, 15_000);
    await new Promise((r) => setTimeout(r, 1000));
    const killedAt = Date.now();
    const certA = answers(client, 0).findLast((a) => a.ok && a.at < killedAt)?.cert;
    // Edge A crashes: keepalived, Caddy and Gatehouse gone at once, its link down.
    await Promise.all([world.keepalived.a.stop('SIGKILL'), world.edge('a').stop('SIGKILL')]);
    await world.topo.exec('ea', ['ip', 'link', 'set', 'ea0', 'down']);
    const end = Date.now() + 30_000;
    let firstOk: number | undefined;
    while (firstOk === undefined && Date.now() < end) {
      firstOk = answers(client, killedAt).find((a) => a.ok && a.cert !== certA)?.at;
      if (firstOk === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    await client.stop();
    expect(firstOk, world.topo.logs(30)).toBeDefined();
    const failed = answers(client, killedAt).filter((a) => !a.ok && a.at < firstOk!).length;
    const lateA = answers(client, killedAt).filter((a) => a.ok && a.cert === certA).length;
    report(
      `edge failover: A killed → clients answered through B after ${firstOk! - killedAt} ms (${failed} failed, ${lateA} answered by A as it died)`,
    );
    expect(firstOk! - killedAt).toBeLessThan(20_000);
    expect(await world.topo.exec('eb', ['ip', '-4', 'addr', 'show', 'dev', 'eb0'])).toContain(VIP);
  }, 90_000);

  it('primary down: writes answer 503 within the deadline, every route keeps serving, reads go on', async () => {
    const downAt = Date.now();
    const client = world.topo.spawn('cl', 'client (primary down)', process.execPath, ['-e', CLIENT, VIP, HOST, '8']);
    const writeWhileDown = async (domain: string) => {
      const started = Date.now();
      const write = await createRoute('b', domain);
      const took = Date.now() - started;
      expect(write.status).toBe(503);
      expect(write.body.error.code).toBe('unavailable');
      expect(took).toBeLessThan(DEADLINE_MS + 1000);
      const read = await world.api('b', 'GET', '/api/v1/routes');
      expect(read.status).toBe(200);
      return took;
    };
    // Hung first (a frozen machine: connections open, nothing answers: only the deadline ends the wait), then
    // gone (connections refused at once).
    world.primary.proc.kill('SIGSTOP');
    const hung = await writeWhileDown('while-hung.edges.test');
    await stopProcess(world.primary.proc, 'SIGKILL');
    const gone = await writeWhileDown('while-down.edges.test');
    await new Promise<void>((r) => client.child.once('exit', () => r()));
    const served = answers(client, downAt);
    const ok = served.filter((a) => a.ok).length;
    report(
      `primary down: a write answered 503 after ${hung} ms with the primary hung, ${gone} ms with it killed (deadline ${DEADLINE_MS} ms); reads 200; ${ok}/${served.length} requests answered meanwhile`,
    );
    expect(ok).toBe(served.length);
    expect(served.length).toBeGreaterThan(10);
  }, 60_000);

  it('promote the standby: writes resume through the edge and nothing acknowledged is lost', async () => {
    await stopProcess(world.standby.proc, 'SIGTERM');
    promoteStandby({ standbyDir: world.standby.dir, oldPrimaryDir: world.primary.dir, now: new Date() });
    promoted = await startSqld(world.sqld, world.standby.dir, {
      host: world.dbAddr,
      wrap: world.dbWrap,
      ports: { http: 8082, grpc: 5002 },
    });
    // The operator's step 4 (docs/scaling.md): the edge restarted, following the promoted primary.
    const restartedAt = Date.now();
    await world.edge('b').stop('SIGTERM');
    await world.startEdge('b', promoted.http);
    const res = await createRoute('b', 'after-promotion.edges.test');
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    acknowledged.push('after-promotion.edges.test');
    const db = createDb({ url: promoted.http, deadlineMs: 5_000 });
    try {
      const domains = (await db.client.execute('SELECT domain FROM routes')).rows.map((r) => String(r.domain));
      for (const domain of acknowledged) expect(domains).toContain(domain);
      expect(await currentVersion(db.db)).toBeGreaterThan(lastVersion);
    } finally {
      db.close();
    }
    await waitFor(
      'clients answered through B again',
      async () => ((await curlThrough(VIP).catch(() => '')).startsWith('lan') ? true : undefined),
      30_000,
      250,
    );
    report(
      `promotion: edge B back on the promoted primary and serving after ${Date.now() - restartedAt} ms; ${acknowledged.length} acknowledged routes and version > ${lastVersion} present`,
    );
  }, 180_000);
});
