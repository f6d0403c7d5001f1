import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { loadConfig } from '../../../src/config/index.ts';
import { caddyBin, ROOT } from '../../helpers/caddy.ts';
import { tempDir } from '../../helpers/env.ts';
import { prepareTestDatabase } from '../../helpers/id-offsets.ts';
import { waitFor } from '../../helpers/wait.ts';
import { type ManagedProcess, Topology } from './topology.ts';
import { bringUpPeer } from './world.ts';

/**
 * The pool e2e world (issue 19): two gateway sites in front of one LAN service.
 *
 *   client 198.51.100.10 ─┬─ wan ─┬─ server 198.51.100.1        gwa 192.168.77.1 ─┐
 *                         │       ├─ gwa 198.51.100.21                            ├─ lan bridge ─ lan 192.168.77.10
 *                         │       └─ gwb 198.51.100.22          gwb 192.168.77.2 ─┘
 *   test process ─── 10.251.0.1/30 ─── server 10.251.0.2 (API)
 *
 * WireGuard 10.89.0.0/24 (wireguard-go): server .1, gwa and gwb from the API. The LAN service tells each
 * connection which gateway address it came from (pool-lan.mjs).
 */
export const POOL_ADDR = {
  server: '198.51.100.1',
  client: '198.51.100.10',
  gwa: '198.51.100.21',
  gwb: '198.51.100.22',
  lan: '192.168.77.10',
  gwaLan: '192.168.77.1',
  gwbLan: '192.168.77.2',
  mgmtHost: '10.251.0.1',
  mgmtServer: '10.251.0.2',
  tunnelServer: '10.89.0.1',
} as const;

export type Site = 'gwa' | 'gwb';

export interface PoolWorld {
  topo: Topology;
  api: (method: string, urlPath: string, body?: unknown) => Promise<{ status: number; body: any; text: string }>;
  gateways: Record<Site, { id: number; token: string }>;
  agent: (site: Site) => ManagedProcess;
  startAgent: (site: Site) => Promise<void>;
  server: ManagedProcess;
  /** One command to the client driver (pool-client.mjs); resolves with its answer. */
  client: (cmd: Record<string, unknown>, timeoutMs?: number) => Promise<any>;
  destroy: () => Promise<void>;
}

export async function buildPoolWorld(
  log: (line: string) => void,
  lanPorts: number[],
  udpPort: number,
): Promise<PoolWorld> {
  const topo = new Topology();
  const tmp = tempDir('gatehouse-pools-');
  const dir = tmp.dir;
  topo.onDestroy(async () => tmp.cleanup());
  const wgIf = { server: `wps${topo.id}`, gwa: `wpa${topo.id}`, gwb: `wpb${topo.id}` };
  try {
    log('building namespaces and links');
    for (const role of ['wan', 'client', 'server', 'gwa', 'gwb', 'lan']) await topo.addNamespace(role);
    await topo.bridge('wan', 'br0');
    for (const role of ['server', 'client', 'gwa', 'gwb'] as const) {
      await topo.plug('wan', 'br0', { role, dev: `w${role.slice(0, 3)}${topo.id}`, cidr: `${POOL_ADDR[role]}/24` });
    }
    await topo.bridge('lan', 'lanbr');
    await topo.exec('lan', ['ip', 'address', 'add', `${POOL_ADDR.lan}/24`, 'dev', 'lanbr']);
    await topo.plug('lan', 'lanbr', { role: 'gwa', dev: `la${topo.id}`, cidr: `${POOL_ADDR.gwaLan}/24` });
    await topo.plug('lan', 'lanbr', { role: 'gwb', dev: `lb${topo.id}`, cidr: `${POOL_ADDR.gwbLan}/24` });
    const mgmt = `gpm${topo.id}`;
    await topo.sh([
      'ip',
      'link',
      'add',
      mgmt,
      'type',
      'veth',
      'peer',
      'name',
      `gpn${topo.id}`,
      'netns',
      topo.ns('server'),
    ]);
    topo.onDestroy(() => topo.sh(['ip', 'link', 'del', mgmt]));
    await topo.sh(['ip', 'address', 'add', `${POOL_ADDR.mgmtHost}/30`, 'dev', mgmt]);
    await topo.sh(['ip', 'link', 'set', mgmt, 'up']);
    await topo.exec('server', ['ip', 'address', 'add', `${POOL_ADDR.mgmtServer}/30`, 'dev', `gpn${topo.id}`]);
    await topo.exec('server', ['ip', 'link', 'set', `gpn${topo.id}`, 'up']);
    for (const [role, ifname] of Object.entries(wgIf)) topo.ownWireguardInterface(role, ifname);

    log('starting the LAN service');
    const lan = topo.spawn('lan', 'pool-lan', process.execPath, [path.join(ROOT, 'test/e2e/support/pool-lan.mjs')], {
      PORTS: lanPorts.join(','),
      UDP_PORT: String(udpPort),
    });
    await lan.waitFor('pool lan ready');

    const serverEnv = {
      GATEHOUSE_DATA_DIR: path.join(dir, 'server-data'),
      GATEHOUSE_LISTEN: '0.0.0.0:3000',
      GATEHOUSE_HTTP_PORT: '80',
      GATEHOUSE_HTTPS_PORT: '443',
      GATEHOUSE_TLS_ISSUER: 'internal',
      GATEHOUSE_CADDY_BIN: caddyBin(),
      GATEHOUSE_WG_ENABLED: 'true',
      GATEHOUSE_WG_INTERFACE: wgIf.server,
      GATEHOUSE_WG_ADDRESS: `${POOL_ADDR.tunnelServer}/24`,
      GATEHOUSE_WG_ENDPOINT: `${POOL_ADDR.server}:51820`,
      GATEHOUSE_ADMIN_PASSWORD: 'pool admin password',
      GATEHOUSE_LOG_LEVEL: 'info',
    };
    await prepareTestDatabase(loadConfig(serverEnv));
    log('starting gatehouse server');
    const server = topo.spawn('server', 'gatehouse-server', path.join(ROOT, 'bin/gatehouse'), ['server'], serverEnv);
    await server.waitFor('Gatehouse is running', 60_000);
    const base = `http://${POOL_ADDR.mgmtServer}:3000`;
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'pool admin password' }),
    });
    const session = /gatehouse_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1];
    const { csrf_token } = (await login.json()) as { csrf_token: string };
    const created = await fetch(`${base}/api/v1/tokens`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: `gatehouse_session=${session}`,
        'x-csrf-token': csrf_token,
      },
      body: JSON.stringify({ name: 'pools', scope: 'admin' }),
    });
    const token = ((await created.json()) as { token: string }).token;
    const api: PoolWorld['api'] = async (method, urlPath, body) => {
      const res = await fetch(`${base}${urlPath}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      let parsed: any = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      return { status: res.status, body: parsed, text };
    };
    await waitFor(
      'WireGuard up',
      async () => ((await api('GET', '/api/v1/health')).body.wireguard?.state === 'up' ? true : undefined),
      30_000,
      250,
    );

    const gateways = {} as PoolWorld['gateways'];
    for (const site of ['gwa', 'gwb'] as const) {
      log(`creating gateway ${site}`);
      const peer = (await api('POST', '/api/v1/peers', { name: `peer-${site}`, is_gateway: true })).body;
      await bringUpPeer(topo, site, wgIf[site], (await api('GET', `/api/v1/peers/${peer.id}/config`)).text, dir);
      const gw = await api('POST', '/api/v1/gateways', {
        name: site,
        peer_id: peer.id,
        lan_networks: ['192.168.77.0/24'],
      });
      if (gw.status !== 201) throw new Error(`creating gateway ${site} failed: ${gw.text}`);
      gateways[site] = { id: gw.body.id, token: gw.body.token };
    }
    const agents: Partial<Record<Site, ManagedProcess>> = {};
    const startAgent = async (site: Site) => {
      log(`starting the agent of ${site}`);
      agents[site] = topo.spawn(site, `agent-${site}`, path.join(ROOT, 'bin/gatehouse'), [
        'gateway',
        '--server',
        `http://${POOL_ADDR.tunnelServer}:3000`,
        '--token',
        gateways[site].token,
        '--state-dir',
        path.join(dir, `agent-${site}`),
      ]);
      await waitFor(
        `${site} online`,
        async () => ((await api('GET', `/api/v1/gateways/${gateways[site].id}`)).body.online ? true : undefined),
        30_000,
        100,
      );
    };
    await startAgent('gwa');
    await startAgent('gwb');

    log('starting the client driver');
    const child = spawn(
      'ip',
      ['netns', 'exec', topo.ns('client'), process.execPath, path.join(ROOT, 'test/e2e/support/pool-client.mjs')],
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SERVER: POOL_ADDR.server },
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    topo.onDestroy(async () => child.kill('SIGKILL'));
    const answers = new Map<number, (v: any) => void>();
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line);
      answers.get(msg.id)?.(msg);
      answers.delete(msg.id);
    });
    let nextId = 1;
    const client: PoolWorld['client'] = (cmd, timeoutMs = 60_000) => {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`client ${cmd.cmd} timed out`)), timeoutMs);
        answers.set(id, (v) => {
          clearTimeout(timer);
          if (v.ok) resolve(v);
          else reject(new Error(`client ${cmd.cmd}: ${v.error}`));
        });
        child.stdin!.write(`${JSON.stringify({ id, ...cmd })}\n`);
      });
    };

    return {
      topo,
      api,
      gateways,
      agent: (site) => agents[site]!,
      startAgent,
      server,
      client,
      destroy: () => topo.destroy(),
    };
  } catch (err) {
    const logs = topo.logs();
    await topo.destroy();
    throw new Error(`building the pool world failed: ${(err as Error).message}\n${logs}`);
  }
}
