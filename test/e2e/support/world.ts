import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CaddyAdminClient } from '../../../src/caddy/admin-client.ts';
import { loadConfig } from '../../../src/config/index.ts';
import { findWireGuardGo } from '../../../src/wireguard/userspace.ts';
import { caddyBin, ROOT, writeTestMmdb } from '../../helpers/caddy.ts';
import { tempDir } from '../../helpers/env.ts';
import { prepareTestDatabase } from '../../helpers/id-offsets.ts';
import { waitFor } from '../../helpers/wait.ts';
import { type ManagedProcess, Topology } from './topology.ts';

/**
 * The end-to-end world (issue 8), built from nothing and torn down by `destroy()`:
 *
 *   client 198.51.100.10 ─┐                    ┌─ gw 198.51.100.20 ── 192.168.77.1 ─── lan 192.168.77.10
 *   laptop 198.51.100.30 ─┼── wan (a bridge) ──┤                                       (sshd, HTTP, TLS,
 *                         │                    └─ server 198.51.100.1                   UDP, WoL sleeper)
 *   test process ─── 10.250.0.1/30 ─── server 10.250.0.2 (API and Caddy's admin socket file)
 *
 * WireGuard 10.88.0.0/24 (wireguard-go): server .1, gateway .2, laptop .3. `lan` is reachable only
 * through `gw`. Everything is configured through the REST API, as a user would.
 */
export const ADDR = {
  server: '198.51.100.1',
  client: '198.51.100.10',
  gw: '198.51.100.20',
  laptop: '198.51.100.30',
  lan: '192.168.77.10',
  gwLan: '192.168.77.1',
  mgmtHost: '10.250.0.1',
  mgmtServer: '10.250.0.2',
  tunnelServer: '10.88.0.1',
} as const;
export const WOL_MAC = '02:00:5e:10:00:77';

export interface World {
  topo: Topology;
  dir: string;
  api: (method: string, urlPath: string, body?: unknown) => Promise<{ status: number; body: any; text: string }>;
  server: () => ManagedProcess;
  startServer: () => Promise<ManagedProcess>;
  agent: () => ManagedProcess;
  startAgent: () => Promise<ManagedProcess>;
  lan: ManagedProcess;
  gateway: { id: number; token: string };
  laptopPeer: { id: number; address: string };
  caRoot: () => string;
  caddyAdmin: CaddyAdminClient;
  sshKey: string;
  destroy: () => Promise<void>;
}

export async function buildWorld(log: (line: string) => void): Promise<World> {
  const topo = new Topology();
  const tmp = tempDir('gatehouse-e2e-');
  const dir = tmp.dir;
  topo.onDestroy(async () => tmp.cleanup());
  const wgIf = { server: `wgs${topo.id}`, gw: `wgg${topo.id}`, laptop: `wgl${topo.id}` };
  try {
    log('building namespaces and links');
    for (const role of ['wan', 'client', 'server', 'gw', 'lan', 'laptop']) await topo.addNamespace(role);
    await topo.bridge('wan', 'br0');
    for (const role of ['server', 'client', 'gw', 'laptop'] as const) {
      await topo.plug('wan', 'br0', { role, dev: `w${role.slice(0, 3)}${topo.id}`, cidr: `${ADDR[role]}/24` });
    }
    await topo.link(
      { role: 'gw', dev: `gl${topo.id}`, cidr: `${ADDR.gwLan}/24` },
      { role: 'lan', dev: `lg${topo.id}`, cidr: `${ADDR.lan}/24` },
    );
    // The management link: the only way from the test process into the server namespace.
    const mgmt = `ghm${topo.id}`;
    await topo.sh([
      'ip',
      'link',
      'add',
      mgmt,
      'type',
      'veth',
      'peer',
      'name',
      `ghn${topo.id}`,
      'netns',
      topo.ns('server'),
    ]);
    topo.onDestroy(() => topo.sh(['ip', 'link', 'del', mgmt]));
    await topo.sh(['ip', 'address', 'add', `${ADDR.mgmtHost}/30`, 'dev', mgmt]);
    await topo.sh(['ip', 'link', 'set', mgmt, 'up']);
    await topo.exec('server', ['ip', 'address', 'add', `${ADDR.mgmtServer}/30`, 'dev', `ghn${topo.id}`]);
    await topo.exec('server', ['ip', 'link', 'set', `ghn${topo.id}`, 'up']);
    for (const [role, ifname] of Object.entries(wgIf)) {
      topo.ownWireguardInterface(role, ifname);
    }

    log('writing the country database, certificates and keys');
    const mmdb = writeTestMmdb(path.join(dir, 'countries.mmdb'), {
      [`${ADDR.client}/32`]: 'US',
      [`${ADDR.laptop}/32`]: 'DE',
      '10.250.0.0/30': 'FR',
    });
    await topo.sh([
      'openssl',
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      path.join(dir, 'lan.key'),
      '-out',
      path.join(dir, 'lan.crt'),
      '-subj',
      '/CN=lan',
      '-addext',
      'subjectAltName=DNS:a.e2e.test,DNS:b.e2e.test',
    ]);
    const sshKey = path.join(dir, 'id_ed25519');
    await topo.sh(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', sshKey]);
    await topo.sh(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'ssh_host_ed25519_key')]);
    writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(`${sshKey}.pub`));
    chmodSync(path.join(dir, 'authorized_keys'), 0o600);
    writeFileSync(
      path.join(dir, 'sshd_config'),
      [
        'Port 22',
        'ListenAddress 0.0.0.0',
        `HostKey ${path.join(dir, 'ssh_host_ed25519_key')}`,
        `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        `PidFile ${path.join(dir, 'sshd.pid')}`,
        'LogLevel VERBOSE',
      ].join('\n'),
    );
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

    log('starting the LAN services');
    const lan = topo.spawn(
      'lan',
      'lan-services',
      process.execPath,
      [path.join(ROOT, 'test/e2e/support/lan-services.mjs')],
      {
        CERT: path.join(dir, 'lan.crt'),
        KEY: path.join(dir, 'lan.key'),
        WOL_MAC,
      },
    );
    topo.spawn('lan', 'sshd', '/usr/sbin/sshd', ['-D', '-e', '-f', path.join(dir, 'sshd_config')]);
    await lan.waitFor('lan services ready');

    const dataDir = path.join(dir, 'server-data');
    const serverEnv = {
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_LISTEN: '0.0.0.0:3000',
      GATEHOUSE_HTTP_PORT: '80',
      GATEHOUSE_HTTPS_PORT: '443',
      GATEHOUSE_TLS_ISSUER: 'internal',
      GATEHOUSE_CADDY_BIN: caddyBin(),
      GATEHOUSE_WG_ENABLED: 'true',
      GATEHOUSE_WG_INTERFACE: wgIf.server,
      GATEHOUSE_WG_ADDRESS: `${ADDR.tunnelServer}/24`,
      GATEHOUSE_WG_ENDPOINT: `${ADDR.server}:51820`,
      GATEHOUSE_GEOIP_DB: mmdb,
      GATEHOUSE_ADMIN_PASSWORD: 'e2e admin password',
      GATEHOUSE_LOG_LEVEL: 'info',
    };
    let server: ManagedProcess | undefined;
    const base = `http://${ADDR.mgmtServer}:3000`;
    let token = '';
    const api: World['api'] = async (method, urlPath, body) => {
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
    // Each table counts its ids from its own offset (test/helpers/id-offsets.ts), as in every test database.
    await prepareTestDatabase(loadConfig(serverEnv));
    const startServer = async () => {
      log('starting gatehouse server in the server namespace');
      server = topo.spawn('server', 'gatehouse-server', path.join(ROOT, 'bin/gatehouse'), ['server'], serverEnv);
      await server.waitFor('Gatehouse is running', 60_000);
      // The health details need a login (the public /healthz says up or down only): the API token once there
      // is one, before that an admin session.
      let cookie = '';
      const healthDetails = async () => {
        if (!token && !cookie) {
          const login = await fetch(`${base}/api/v1/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username: 'admin', password: 'e2e admin password' }),
            signal: AbortSignal.timeout(3000),
          });
          cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
        }
        const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : { cookie };
        const res = await fetch(`${base}/api/v1/health`, { headers, signal: AbortSignal.timeout(3000) });
        return (await res.json()) as any;
      };
      await waitFor(
        'health details: caddy running and WireGuard up',
        async () => {
          const h = await healthDetails();
          return h.caddy?.state === 'running' && h.wireguard?.state === 'up' ? h : undefined;
        },
        30_000,
        200,
      );
      return server;
    };
    await startServer();

    log('logging in and creating an API token');
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'e2e admin password' }),
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
      body: JSON.stringify({ name: 'e2e', scope: 'admin' }),
    });
    token = ((await created.json()) as { token: string }).token;

    log('creating the gateway and laptop peers and bringing up their WireGuard side');
    const gwPeer = (await api('POST', '/api/v1/peers', { name: 'gateway-home', is_gateway: true })).body;
    const laptopPeer = (await api('POST', '/api/v1/peers', { name: 'laptop' })).body;
    await bringUpPeer(topo, 'gw', wgIf.gw, (await api('GET', `/api/v1/peers/${gwPeer.id}/config`)).text, dir);
    await bringUpPeer(
      topo,
      'laptop',
      wgIf.laptop,
      (await api('GET', `/api/v1/peers/${laptopPeer.id}/config`)).text,
      dir,
    );

    const gw = await api('POST', '/api/v1/gateways', {
      name: 'home',
      peer_id: gwPeer.id,
      lan_networks: ['192.168.77.0/24'],
    });
    if (gw.status !== 201) throw new Error(`creating the gateway failed: ${gw.text}`);
    let agent: ManagedProcess | undefined;
    const startAgent = async () => {
      log('starting the gateway agent in the gw namespace');
      agent = topo.spawn('gw', 'gateway-agent', path.join(ROOT, 'bin/gatehouse'), [
        'gateway',
        '--server',
        `http://${ADDR.tunnelServer}:3000`,
        '--token',
        gw.body.token,
        '--state-dir',
        path.join(dir, 'agent-state'),
      ]);
      await waitFor(
        'the gateway online in the API',
        async () => ((await api('GET', `/api/v1/gateways/${gw.body.id}`)).body.online ? true : undefined),
        30_000,
        250,
      );
      return agent;
    };
    await startAgent();

    return {
      topo,
      dir,
      api,
      server: () => server!,
      startServer,
      agent: () => agent!,
      startAgent,
      lan,
      gateway: { id: gw.body.id, token: gw.body.token },
      laptopPeer,
      caRoot: () => path.join(dataDir, 'caddy', 'pki', 'authorities', 'local', 'root.crt'),
      caddyAdmin: new CaddyAdminClient(path.join(dataDir, 'caddy-admin.sock')),
      sshKey,
      destroy: () => topo.destroy(),
    };
  } catch (err) {
    const logs = topo.logs();
    await topo.destroy();
    throw new Error(`building the e2e world failed: ${(err as Error).message}\n${logs}`);
  }
}

/** The client side of a peer from its downloaded wg-quick file: wireguard-go + wg setconf + address. */
export async function bringUpPeer(topo: Topology, role: string, ifname: string, wgQuick: string, dir: string) {
  const address = /^Address\s*=\s*(\S+)/m.exec(wgQuick)?.[1];
  if (!address) throw new Error(`no Address in the ${role} config:\n${wgQuick}`);
  // wg setconf takes the wg-quick file minus the keys only wg-quick understands.
  const conf = wgQuick
    .split('\n')
    .filter((line) => !/^\s*(Address|DNS|MTU|Table|PreUp|PostUp|PreDown|PostDown|SaveConfig)\s*=/i.test(line))
    .join('\n');
  const file = path.join(dir, `${ifname}.conf`);
  writeFileSync(file, conf, { mode: 0o600 });
  // The same wireguard-go the server starts: ours (bin/, pinned) when built, else the one on PATH.
  await topo.exec(role, [(await findWireGuardGo())?.path ?? 'wireguard-go', ifname]);
  await topo.exec(role, ['wg', 'setconf', ifname, file]);
  await topo.exec(role, [
    'ip',
    'address',
    'add',
    address.includes('/') ? address.replace(/\/\d+$/, '/24') : `${address}/24`,
    'dev',
    ifname,
  ]);
  await topo.exec(role, ['ip', 'link', 'set', ifname, 'up']);
}
