// Issue 14 item 3, proven on real packets. Real: WireGuard (wireguard-go + wg) in three network namespaces this
// test creates: a client, the server, and an "internet" host with a TCP listener; the Gatehouse WireGuard runtime
// with its forwarding (nft and sysctl run inside the server namespace through netnsRunner: the host's firewall and
// sysctls are never touched); the Hono app and peer services on a libSQL temp file. Simulated: the HTTP socket
// (app.request()). Needs root, ip, wg, wireguard-go, nft and /dev/net/tun: skipped with the reason printed.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createDb, type DbHandle, migrateDb } from '../../src/db/index.ts';
import { PeerHooks } from '../../src/services/peers/hooks.ts';
import { createToken } from '../../src/services/tokens/create.ts';
import { findOnPath } from '../../src/wireguard/availability.ts';
import { netnsRunner, runCommand, withSecretFile } from '../../src/wireguard/exec.ts';
import { WireGuardRuntime } from '../../src/wireguard/runtime.ts';
import { silentLogger, systemContext, tempDir } from '../helpers/env.ts';

async function skipReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root (network namespaces need CAP_NET_ADMIN)';
  for (const bin of ['ip', 'wg', 'wireguard-go', 'nft', 'sysctl']) {
    if (!(await findOnPath(bin)))
      return `${bin} is missing: apt-get install -y --no-install-recommends wireguard-tools wireguard-go iproute2 nftables procps`;
  }
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing (wireguard-go needs TUN)';
  return undefined;
}
const reason = await skipReason();
if (reason) console.log(`skipping the full-tunnel e2e test: ${reason}`);

const id = randomBytes(3).toString('hex');
const NS = { srv: `gh-fs-${id}`, cli: `gh-fc-${id}`, net: `gh-fn-${id}` };
const IF_SRV = `ghfs${id}`;
const IF_CLI = `ghfc${id}`;
const UNDERLAY = { srv: '172.31.0.1', cli: '172.31.0.2' };
const INTERNET = { srv: '198.18.0.1', host: '198.18.0.2', port: 8080 };
const TUNNEL_SERVER = '10.98.0.1';

const sh = (args: string[], stdin?: string) => runCommand(args[0]!, args.slice(1), { stdin, timeoutMs: 15_000 });
const inNs = (ns: string, args: string[]) => sh(['ip', 'netns', 'exec', ns, ...args]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function eventually(check: () => Promise<boolean>, attempts: number, delayMs: number): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return true;
    await sleep(delayMs);
  }
  return false;
}

// The "internet" host answers with the source address it saw: the masquerade shows there.
const WHOAMI_SERVER = `require('node:net').createServer((c) => { c.on('error', () => {}); c.end(c.remoteAddress); })
  .listen(${INTERNET.port}, '${INTERNET.host}', () => console.log('ready'));`;
const WHOAMI_CLIENT = `const c = require('node:net').connect({ host: '${INTERNET.host}', port: ${INTERNET.port} });
const t = setTimeout(() => process.exit(2), 3000); let got = '';
c.on('data', (d) => { got += d; }); c.on('end', () => { clearTimeout(t); console.log(got); process.exit(0); });
c.on('error', () => process.exit(1));`;

/** What the internet host saw as our source address, or undefined when the connection failed. */
async function sourceSeenByInternet(): Promise<string | undefined> {
  try {
    return (await inNs(NS.cli, [process.execPath, '-e', WHOAMI_CLIENT])).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

describe.skipIf(reason)('full tunnel through the server (namespaces, nftables)', () => {
  const children: ChildProcess[] = [];
  const hostIpForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  let runtime: WireGuardRuntime;
  let db: DbHandle;
  let app: ReturnType<typeof createApp>;
  let token: string;
  let cleanupDir: () => void;
  const call = (method: string, url: string, body?: unknown) =>
    app.request(url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  const srvTable = () =>
    inNs(NS.srv, ['nft', 'list', 'table', 'inet', 'gatehouse']).then(
      (r) => r.stdout,
      () => undefined,
    );
  const srvIpForward = async () => (await inNs(NS.srv, ['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim();

  beforeAll(async () => {
    for (const ns of Object.values(NS)) await sh(['ip', 'netns', 'add', ns]);
    // Both veth pairs are made inside the server namespace with the far end moved straight into its namespace.
    await sh(['ip', '-n', NS.srv, 'link', 'add', 'u0', 'type', 'veth', 'peer', 'name', 'u1', 'netns', NS.cli]);
    await sh(['ip', '-n', NS.srv, 'link', 'add', 'i0', 'type', 'veth', 'peer', 'name', 'i1', 'netns', NS.net]);
    for (const [ns, dev, ip] of [
      [NS.srv, 'u0', UNDERLAY.srv],
      [NS.cli, 'u1', UNDERLAY.cli],
      [NS.srv, 'i0', INTERNET.srv],
      [NS.net, 'i1', INTERNET.host],
    ] as const) {
      await sh(['ip', '-n', ns, 'address', 'add', `${ip}/24`, 'dev', dev]);
      await sh(['ip', '-n', ns, 'link', 'set', dev, 'up']);
      await sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
    // A fresh namespace starts with forwarding off, like a server that never forwarded.
    expect(await srvIpForward()).toBe('0');

    const dir = tempDir('gatehouse-e2e-full-');
    cleanupDir = dir.cleanup;
    const config = loadConfig({
      GATEHOUSE_DATA_DIR: dir.dir,
      GATEHOUSE_ADMIN_PASSWORD: 'correct horse battery',
      GATEHOUSE_WG_INTERFACE: IF_SRV,
      GATEHOUSE_WG_ADDRESS: `${TUNNEL_SERVER}/24`,
      GATEHOUSE_WG_ENDPOINT: UNDERLAY.srv,
      GATEHOUSE_WG_ENABLED: 'true',
    });
    db = createDb(config.db);
    await migrateDb(db);
    runtime = new WireGuardRuntime({
      config,
      logger: silentLogger,
      runner: netnsRunner(NS.srv),
      availability: { available: true, implementation: 'wireguard-go', detail: 'e2e' },
      statsIntervalMs: 3_600_000,
      teardownOnStop: true,
    });
    await runtime.start([]);
    app = createApp({
      db: db.db,
      config,
      logger: silentLogger,
      now: () => new Date(),
      health: async () => ({
        status: 'ok',
        db: { state: 'ok' },
        caddy: { state: 'disabled' },
        wireguard: {
          ...runtime.status(),
        },
      }),
      peers: { network: runtime, hooks: new PeerHooks() },
    });
    token = (await createToken({ ctx: systemContext({ db: db.db, config }), input: { name: 'e2e', scope: 'write' } }))
      .token;

    const listener = spawn('ip', ['netns', 'exec', NS.net, process.execPath, '-e', WHOAMI_SERVER], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(listener);
    listener.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('internet listener did not start within 10 s')), 10_000);
      listener.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  });

  afterAll(async () => {
    const steps: (() => Promise<unknown>)[] = [
      () => runtime?.stop() ?? Promise.resolve(),
      () => sh(['ip', '-n', NS.srv, 'link', 'del', IF_SRV]),
      () => sh(['ip', '-n', NS.cli, 'link', 'del', IF_CLI]),
      async () => {
        for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
        await eventually(async () => children.every((c) => c.exitCode !== null || c.signalCode !== null), 30, 100);
        for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
      ...Object.values(NS).map((ns) => () => sh(['ip', 'netns', 'del', ns])),
      async () => db?.close(),
      async () => cleanupDir?.(),
    ];
    for (const step of steps) {
      try {
        await step();
      } catch {
        // already gone
      }
    }
    await eventually(
      async () => !existsSync(`/var/run/wireguard/${IF_SRV}.sock`) && !existsSync(`/var/run/wireguard/${IF_CLI}.sock`),
      50,
      100,
    );
  });

  it('a split-tunnel peer gets no default route and sets up no forwarding', async () => {
    const res = await call('POST', '/api/v1/peers', { name: 'split', allowed_ips: ['192.168.50.0/24'] });
    expect(res.status).toBe(201);
    const { id: peerId } = (await res.json()) as { id: number };
    const conf = await (await call('GET', `/api/v1/peers/${peerId}/config`)).text();
    expect(/^AllowedIPs = (.+)$/m.exec(conf)![1]).toBe('10.98.0.0/24, 192.168.50.0/24');
    expect(conf).not.toContain('0.0.0.0/0');
    expect(await srvTable()).toBeUndefined();
    expect(await srvIpForward()).toBe('0');
    expect(runtime.status().forwarding).toMatchObject({ state: 'off' });
  });

  it('a full-tunnel peer reaches the internet host through the server, masqueraded; stop removes it all', async () => {
    const res = await call('POST', '/api/v1/peers', { name: 'full', tunnel_mode: 'full' });
    expect(res.status).toBe(201);
    const peer = (await res.json()) as { id: number; address: string };
    expect(runtime.status().forwarding).toMatchObject({ state: 'on', full_tunnel_peers: 1 });
    expect(await srvTable()).toContain(peer.address);
    expect(await srvIpForward()).toBe('1');

    const conf = await (await call('GET', `/api/v1/peers/${peer.id}/config`)).text();
    expect(/^AllowedIPs = (.+)$/m.exec(conf)![1]).toBe('0.0.0.0/0');
    // The client as wg-quick would set it up: the wg(8) part to `wg setconf`, Address and the default route by hand
    // (the endpoint stays reachable over the directly connected underlay, a more specific route).
    const wgPart = conf
      .split('\n')
      .filter((line) => !/^(Address|DNS)\s*=/.test(line))
      .join('\n');
    const client = spawn('ip', ['netns', 'exec', NS.cli, 'wireguard-go', '-f', IF_CLI], { stdio: 'ignore' });
    client.on('error', () => {});
    children.push(client);
    expect(await eventually(async () => existsSync(`/var/run/wireguard/${IF_CLI}.sock`), 50, 100)).toBe(true);
    await withSecretFile(wgPart, (file) => inNs(NS.cli, ['wg', 'setconf', IF_CLI, file]));
    await sh(['ip', '-n', NS.cli, 'address', 'add', `${peer.address}/32`, 'dev', IF_CLI]);
    await sh(['ip', '-n', NS.cli, 'link', 'set', IF_CLI, 'up']);
    await sh(['ip', '-n', NS.cli, 'route', 'add', 'default', 'dev', IF_CLI]);

    let seen: string | undefined;
    expect(
      await eventually(
        async () => {
          seen = await sourceSeenByInternet();
          return seen !== undefined;
        },
        10,
        500,
      ),
    ).toBe(true);
    // The internet host saw the server's address, not the peer's tunnel address.
    expect(seen).toBe(INTERNET.srv);

    // Back to split: the exit closes (the peer's packets are dropped, not forwarded), and the table goes.
    expect((await call('PUT', `/api/v1/peers/${peer.id}`, { tunnel_mode: 'split' })).status).toBe(200);
    expect(await srvTable()).toBeUndefined();
    expect(await srvIpForward()).toBe('0');
    expect(await sourceSeenByInternet()).toBeUndefined();

    // Full again, then stop: our table is removed and ip_forward restored to what it was.
    expect((await call('PUT', `/api/v1/peers/${peer.id}`, { tunnel_mode: 'full' })).status).toBe(200);
    expect(await srvTable()).toContain(peer.address);
    await runtime.stop();
    expect(await srvTable()).toBeUndefined();
    expect(await srvIpForward()).toBe('0');
    // The host itself was never touched.
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8')).toBe(hostIpForward);
  });
});
