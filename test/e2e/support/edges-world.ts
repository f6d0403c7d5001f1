import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../../src/config/index.ts';
import { createDb, migrateDb } from '../../../src/db/index.ts';
import { createToken } from '../../../src/services/tokens/create.ts';
import { caddyBin, ROOT } from '../../helpers/caddy.ts';
import { silentLogger, tempDir } from '../../helpers/env.ts';
import { waitFor } from '../../helpers/wait.ts';
import { type Sqld, startSqld } from './sqld.ts';
import { type ManagedProcess, Topology } from './topology.ts';
import { bringUpPeer } from './world.ts';

/**
 * The edges world (issue 21), every part real, on one switch (a bridge in `sw`):
 *
 *   edge A 10.252.0.1 ─┐  (Caddy + gatehouse server --role edge + wireguard-go + keepalived; floating .100)
 *   edge B 10.252.0.2 ─┤
 *   db     10.252.0.20 ┼── sw ── test process 10.252.0.254 (a veth this world creates, removed with it)
 *   client 10.252.0.10 ┤         (sqld primary :8080/:5001 and standby :8081 in `db`)
 *   gw     10.252.0.30 ┘── 192.168.78.1 ─── lan 192.168.78.10:8080 (an HTTP service)
 *
 * Each edge has its own WireGuard key and tunnel address (A 10.90.0.1, B 10.90.0.254); the agent on `gw` holds
 * one peer per edge (10.90.0.2) and follows both control planes. The schema is migrated over http:// from the
 * test process; there is no primary Gatehouse: every write goes through an edge (forwarded to sqld).
 */
export const EDGES = {
  a: { role: 'ea', addr: '10.252.0.1', tunnel: '10.90.0.1' },
  b: { role: 'eb', addr: '10.252.0.2', tunnel: '10.90.0.254' },
} as const;
export type EdgeName = keyof typeof EDGES;
export const VIP = '10.252.0.100';
const DB_ADDR = '10.252.0.20';
const HOST_ADDR = '10.252.0.254';
export const LAN = { addr: '192.168.78.10', gwLan: '192.168.78.1', gw: '10.252.0.30', client: '10.252.0.10' };
export const DEADLINE_MS = 1500;
const LAN_SERVER = `require('node:http').createServer((q, s) => s.end('lan ' + q.url)).listen(8080, '0.0.0.0');`;

export function renderKeepalived(vars: Record<string, string>): string {
  const template = readFileSync(path.join(ROOT, 'deploy/keepalived/keepalived.conf.example'), 'utf8');
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_m, key: string) => {
    const v = vars[key];
    if (v === undefined) throw new Error(`no value for {{${key}}}`);
    return v;
  });
}

export interface EdgesWorld {
  topo: Topology;
  dir: string;
  sqld: string;
  primary: Sqld;
  standby: Sqld;
  token: string;
  /** The REST API of one edge (from the test process over the switch). */
  api: (edge: EdgeName, method: string, urlPath: string, body?: unknown) => Promise<{ status: number; body: any }>;
  edge: (name: EdgeName) => ManagedProcess;
  startEdge: (name: EdgeName, syncUrl: string) => Promise<ManagedProcess>;
  keepalived: Record<EdgeName, ManagedProcess>;
  gatewayId: number;
  /** Runs in the db namespace's address space: `ip netns exec` prefix for sqld. */
  dbWrap: string[];
  dbAddr: string;
}

export async function buildEdgesWorld(sqld: string, log: (line: string) => void): Promise<EdgesWorld> {
  const topo = new Topology();
  const tmp = tempDir('gatehouse-edges-');
  const dir = tmp.dir;
  topo.onDestroy(async () => tmp.cleanup());
  const secret = randomBytes(32).toString('base64');
  const wgIf = { ea: `wea${topo.id}`, eb: `web${topo.id}`, gw: `weg${topo.id}` };
  // Deleting the links first lets their wireguard-go daemons stop cleanly, before the sweep below.
  for (const [role, ifname] of Object.entries(wgIf)) topo.ownWireguardInterface(role, ifname);
  // Anything a namespace still runs (wireguard-go daemons, Caddy) ends with it.
  const roles = ['sw', 'ea', 'eb', 'db', 'cl', 'gw', 'lan'];
  topo.onDestroy(async () => {
    for (const role of roles) {
      const pids = (await topo.sh(['ip', 'netns', 'pids', topo.ns(role)]).catch(() => '')).split(/\s+/);
      for (const pid of pids.filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {}
      }
    }
  });

  try {
    log('namespaces, the switch and the management link');
    for (const role of roles) await topo.addNamespace(role);
    await topo.bridge('sw', 'br0');
    for (const [role, cidr] of [
      ['ea', `${EDGES.a.addr}/24`],
      ['eb', `${EDGES.b.addr}/24`],
      ['db', `${DB_ADDR}/24`],
      ['cl', `${LAN.client}/24`],
      ['gw', `${LAN.gw}/24`],
    ] as const) {
      await topo.plug('sw', 'br0', { role, dev: `${role}0`, cidr });
    }
    await topo.link(
      { role: 'gw', dev: 'gl0', cidr: `${LAN.gwLan}/24` },
      { role: 'lan', dev: 'lg0', cidr: `${LAN.addr}/24` },
    );
    const mgmt = `ghe${topo.id}`;
    await topo.sh(['ip', 'link', 'add', mgmt, 'type', 'veth', 'peer', 'name', 'mg0', 'netns', topo.ns('sw')]);
    topo.onDestroy(() => topo.sh(['ip', 'link', 'del', mgmt]));
    await topo.sh(['ip', 'address', 'add', `${HOST_ADDR}/24`, 'dev', mgmt]);
    await topo.sh(['ip', 'link', 'set', mgmt, 'up']);
    await topo.exec('sw', ['ip', 'link', 'set', 'mg0', 'master', 'br0']);
    await topo.exec('sw', ['ip', 'link', 'set', 'mg0', 'up']);

    log('sqld primary and standby; the schema over http://');
    const dbWrap = ['ip', 'netns', 'exec', topo.ns('db')];
    const primary = await startSqld(sqld, path.join(dir, 'primary.sqld'), {
      host: DB_ADDR,
      wrap: dbWrap,
      ports: { http: 8080, grpc: 5001 },
    });
    const standby = await startSqld(sqld, path.join(dir, 'standby.sqld'), {
      host: DB_ADDR,
      wrap: dbWrap,
      ports: { http: 8081 },
      primaryGrpc: primary.grpc!,
    });
    const config = loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_SECRET_KEY: secret });
    const onPrimary = createDb({ url: primary.http, deadlineMs: 10_000 });
    let token: string;
    try {
      await migrateDb(onPrimary);
      const ctx = {
        db: onPrimary.db,
        config,
        logger: silentLogger,
        now: () => new Date(),
        actor: { kind: 'system' as const },
      };
      token = (await createToken({ ctx, input: { name: 'edges-e2e', scope: 'admin' } })).token;
    } finally {
      onPrimary.close();
    }

    const api: EdgesWorld['api'] = async (edge, method, urlPath, body) => {
      const res = await fetch(`http://${EDGES[edge].addr}:3000${urlPath}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      let parsed: any = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      return { status: res.status, body: parsed };
    };

    const edges: Partial<Record<EdgeName, ManagedProcess>> = {};
    const startEdge = async (name: EdgeName, syncUrl: string) => {
      const e = EDGES[name];
      const dataDir = path.join(dir, `edge-${name}`);
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      log(`starting edge ${name.toUpperCase()} (following ${syncUrl})`);
      const proc = topo.spawn(e.role, `edge ${name.toUpperCase()}`, path.join(ROOT, 'bin/gatehouse'), ['server'], {
        GATEHOUSE_ROLE: 'edge',
        GATEHOUSE_DATA_DIR: dataDir,
        GATEHOUSE_DB_URL: `file:${path.join(dataDir, 'replica.db')}`,
        GATEHOUSE_DB_SYNC_URL: syncUrl,
        GATEHOUSE_DB_SYNC_INTERVAL_SECONDS: '0.2',
        GATEHOUSE_DB_DEADLINE_MS: String(DEADLINE_MS),
        GATEHOUSE_SECRET_KEY: secret,
        GATEHOUSE_LISTEN: '0.0.0.0:3000',
        GATEHOUSE_HTTP_PORT: '80',
        GATEHOUSE_HTTPS_PORT: '443',
        GATEHOUSE_TLS_ISSUER: 'internal',
        GATEHOUSE_CADDY_BIN: caddyBin(),
        GATEHOUSE_WG_ENABLED: 'true',
        GATEHOUSE_WG_INTERFACE: wgIf[e.role],
        GATEHOUSE_WG_ADDRESS: `${e.tunnel}/24`,
        GATEHOUSE_WG_ENDPOINT: `${e.addr}:51820`,
        GATEHOUSE_LOG_LEVEL: 'info',
      });
      edges[name] = proc;
      await proc.waitFor('Gatehouse is running', 90_000);
      return proc;
    };

    await startEdge('a', primary.http);
    await startEdge('b', primary.http);
    topo.spawn('lan', 'lan service', process.execPath, ['-e', LAN_SERVER]);

    log('keepalived on both edges');
    const keepalived = {} as Record<EdgeName, ManagedProcess>;
    for (const [name, state, priority] of [
      ['a', 'MASTER', '150'],
      ['b', 'BACKUP', '100'],
    ] as const) {
      const role = EDGES[name].role;
      const conf = path.join(dir, `keepalived-${name}.conf`);
      writeFileSync(
        conf,
        renderKeepalived({
          INTERFACE: `${role}0`,
          VIRTUAL_ADDRESS: `${VIP}/24`,
          STATE: state,
          PRIORITY: priority,
          ROUTER_ID: '78',
          CHECK: '/usr/bin/curl -fsS -m 1 -o /dev/null http://127.0.0.1:3000/healthz',
        }),
        { mode: 0o600 },
      );
      const pid = path.join(dir, `keepalived-${name}`);
      keepalived[name] = topo.spawn(role, `keepalived ${name.toUpperCase()}`, 'keepalived', [
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

    log('the gateway: one WireGuard peer per edge, the agent following both control planes');
    const peer = (await api('a', 'POST', '/api/v1/peers', { name: 'gateway-site', is_gateway: true })).body;
    const gw = await api('a', 'POST', '/api/v1/gateways', {
      name: 'site',
      peer_id: peer.id,
      lan_networks: ['192.168.78.0/24'],
    });
    if (gw.status !== 201) throw new Error(`creating the gateway failed: ${JSON.stringify(gw.body)}`);
    const confA = await fetch(`http://${EDGES.a.addr}:3000/api/v1/peers/${peer.id}/config`, {
      headers: { authorization: `Bearer ${token}` },
    }).then((r) => r.text());
    const publicKeyB = (await topo.exec('eb', ['wg', 'show', wgIf.eb, 'public-key'])).trim();
    const twoPeers = `${confA
      .replace(/^AllowedIPs\s*=.*$/m, `AllowedIPs = ${EDGES.a.tunnel}/32`)
      .replace(/^PersistentKeepalive\s*=.*\n/m, '')
      .replace(/^(Endpoint\s*=.*)$/m, '$1\nPersistentKeepalive = 5')}
[Peer]
PublicKey = ${publicKeyB}
${/^PresharedKey\s*=.*$/m.exec(confA)?.[0] ?? ''}
Endpoint = ${EDGES.b.addr}:51820
AllowedIPs = ${EDGES.b.tunnel}/32
PersistentKeepalive = 5
`;
    await bringUpPeer(topo, 'gw', wgIf.gw, twoPeers, dir);
    topo.spawn(
      'gw',
      'agent',
      path.join(ROOT, 'bin/gatehouse'),
      [
        'gateway',
        '--server',
        `http://${EDGES.a.tunnel}:3000,http://${EDGES.b.tunnel}:3000`,
        '--token',
        gw.body.token,
        '--state-dir',
        path.join(dir, 'agent-state'),
      ],
      { GATEHOUSE_GATEWAY_EDGE_ADDRESSES: `${EDGES.a.tunnel},${EDGES.b.tunnel}` },
    );
    await waitFor(
      'the gateway online',
      async () => ((await api('a', 'GET', `/api/v1/gateways/${gw.body.id}`)).body.online ? true : undefined),
      45_000,
      250,
    );
    return {
      topo,
      dir,
      sqld,
      primary,
      standby,
      token,
      api,
      edge: (name) => edges[name]!,
      startEdge,
      keepalived,
      gatewayId: gw.body.id,
      dbWrap,
      dbAddr: DB_ADDR,
    };
  } catch (err) {
    const logs = topo.logs(40);
    await topo.destroy();
    throw new Error(`building the edges world failed: ${(err as Error).message}\n${logs}`);
  }
}
