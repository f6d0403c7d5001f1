// Issue 21: a pair of edges in one site behind keepalived. Real: Debian's keepalived (VRRPv3) in two network
// namespaces this test creates, running deploy/keepalived/keepalived.conf.example as shipped (placeholders
// filled in), a bridge as the site's switch, a client namespace sending requests to the floating address under
// load. Simulated: each edge's HTTP service is a small Node server standing in for Caddy + `gatehouse server
// --role edge` (the health check is the one the example names). Edge A "crashes": keepalived killed, its link
// down. Measures the time until the client is answered by edge B. Root only; skips with the reason printed.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/caddy.ts';
import { tempDir } from '../helpers/env.ts';
import { type ManagedProcess, namespaceSkipReason, Topology } from './support/topology.ts';

const reason = await (async () => {
  const base = await namespaceSkipReason(['ip', 'keepalived', 'curl']);
  return base;
})();
if (reason) process.stdout.write(`edge-pair: skipped: ${reason}\n`);

const VIP = '10.77.0.100';
const EDGE_SERVER = `
const http = require('node:http');
http.createServer((req, res) => res.end(process.argv[1])).listen(8080, '0.0.0.0');
`;
/** Requests the floating address every 20 ms for at most 40 s; prints "ms answer" lines. */
const CLIENT = `
const http = require('node:http');
const start = Date.now();
const tick = () => {
  if (Date.now() - start > 40000) process.exit(0);
  const req = http.get({ host: '${VIP}', port: 8080, path: '/', timeout: 300, agent: false }, (res) => {
    let body = '';
    res.on('data', (d) => (body += d));
    res.on('end', () => { console.log(Date.now() + ' ' + body); setTimeout(tick, 20); });
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => { console.log(Date.now() + ' -'); setTimeout(tick, 20); });
};
tick();
`;

function renderKeepalived(vars: Record<string, string>): string {
  const template = readFileSync(path.join(ROOT, 'deploy/keepalived/keepalived.conf.example'), 'utf8');
  const out = template.replace(/\{\{([A-Z_]+)\}\}/g, (_m, key: string) => {
    const v = vars[key];
    if (v === undefined) throw new Error(`no value for {{${key}}}`);
    return v;
  });
  return out;
}

describe.skipIf(reason !== undefined)('a pair of edges behind keepalived', () => {
  const topo = new Topology();
  const { dir, cleanup } = tempDir('gatehouse-edge-pair-');
  const keepalived: Record<string, ManagedProcess> = {};
  let client: ManagedProcess;

  beforeAll(async () => {
    for (const role of ['sw', 'ea', 'eb', 'cl']) await topo.addNamespace(role);
    await topo.bridge('sw', 'br0');
    await topo.plug('sw', 'br0', { role: 'ea', dev: 'ea0', cidr: '10.77.0.1/24' });
    await topo.plug('sw', 'br0', { role: 'eb', dev: 'eb0', cidr: '10.77.0.2/24' });
    await topo.plug('sw', 'br0', { role: 'cl', dev: 'cl0', cidr: '10.77.0.10/24' });
    for (const [role, name, dev, state, priority] of [
      ['ea', 'A', 'ea0', 'MASTER', '150'],
      ['eb', 'B', 'eb0', 'BACKUP', '100'],
    ] as const) {
      topo.spawn(role, `edge ${name}`, process.execPath, ['-e', EDGE_SERVER, name]);
      const conf = path.join(dir, `keepalived-${name}.conf`);
      writeFileSync(
        conf,
        renderKeepalived({
          INTERFACE: dev,
          VIRTUAL_ADDRESS: `${VIP}/24`,
          STATE: state,
          PRIORITY: priority,
          ROUTER_ID: '77',
          CHECK: '/usr/bin/curl -fsS -m 1 http://127.0.0.1:8080/',
        }),
        { mode: 0o600 },
      );
      const pid = path.join(dir, `keepalived-${name}`);
      keepalived[name] = topo.spawn(role, `keepalived ${name}`, 'keepalived', [
        '--dont-fork',
        '--log-console',
        '--vrrp',
        '-f',
        conf,
        '-p',
        `${pid}.pid`,
        '-r',
        `${pid}.vrrp.pid`,
        '-c',
        `${pid}.chk.pid`,
      ]);
    }
    // A holds the address before the load starts.
    const end = Date.now() + 20_000;
    while (!(await topo.exec('ea', ['ip', '-4', 'addr', 'show', 'dev', 'ea0'])).includes(VIP)) {
      if (Date.now() > end) throw new Error(`A never took ${VIP}:\n${keepalived.A!.log()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 60_000);

  afterAll(async () => {
    await topo.destroy();
    cleanup();
  });

  it('clients are answered by edge B soon after edge A dies', async () => {
    client = topo.spawn('cl', 'client', process.execPath, ['-e', CLIENT]);
    await client.waitFor(/ A\n/, 10_000);
    await new Promise((r) => setTimeout(r, 1000));
    const killedAt = Date.now();
    // Edge A crashes: its keepalived and its link go away at once.
    await keepalived.A!.stop('SIGKILL');
    await topo.exec('ea', ['ip', 'link', 'set', 'ea0', 'down']);
    await client.waitFor(/ B\n/, 20_000);
    const lines = client
      .log()
      .trim()
      .split('\n')
      .map((l) => l.split(' '))
      .filter(([t]) => Number(t) >= killedAt);
    const firstB = lines.find(([, answer]) => answer === 'B');
    const failoverMs = Number(firstB![0]) - killedAt;
    const failed = lines.filter(([t, answer]) => answer === '-' && Number(t) < Number(firstB![0])).length;
    process.stdout.write(`edge-pair: failover A → B answered after ${failoverMs} ms (${failed} requests failed)\n`);
    // VRRPv3 with 0.5 s adverts: master down after 3 × 0.5 s + skew; a generous bound for a loaded machine.
    expect(failoverMs).toBeLessThan(6_000);
    expect((await topo.exec('eb', ['ip', '-4', 'addr', 'show', 'dev', 'eb0'])).includes(VIP)).toBe(true);
  }, 60_000);
});
