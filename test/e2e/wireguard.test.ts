// Real: WireGuard (wireguard-go + wg from wireguard-tools) in two network namespaces this test creates and
// joins with a veth pair; the Gatehouse WireGuard runtime (key, interface bring-up, wg syncconf, dump/stats);
// the Hono app and peer services on a libSQL temp file; TCP through the tunnel between real processes.
// Simulated: nothing on the data path; the HTTP socket is app.request(). Needs root: skipped, with the reason
// printed, when not root or when ip/wg/wireguard-go or /dev/net/tun are missing.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createDb, type DbHandle, migrateDb } from '../../src/db/index.ts';
import { PeerHooks } from '../../src/services/peers/hooks.ts';
import { createToken } from '../../src/services/tokens/create.ts';
import { findOnPath } from '../../src/wireguard/availability.ts';
import { parseDump } from '../../src/wireguard/dump.ts';
import { netnsRunner, runCommand, withSecretFile } from '../../src/wireguard/exec.ts';
import { WireGuardRuntime } from '../../src/wireguard/runtime.ts';
import { silentLogger, systemContext, tempDir } from '../helpers/env.ts';

async function skipReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root (network namespaces need CAP_NET_ADMIN)';
  for (const bin of ['ip', 'wg', 'wireguard-go']) {
    if (!(await findOnPath(bin)))
      return `${bin} is missing: apt-get install -y --no-install-recommends wireguard-tools wireguard-go iproute2`;
  }
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing (wireguard-go needs TUN)';
  return undefined;
}
const reason = await skipReason();
if (reason) console.log(`skipping the WireGuard e2e test: ${reason}`);

// Unique per run: wireguard-go's UAPI sockets live in the shared /var/run/wireguard, so interface names must
// not collide with another run (or a real gh0) even though the namespaces are separate.
const id = randomBytes(3).toString('hex');
const NS_SRV = `gh-srv-${id}`;
const NS_CLI = `gh-cli-${id}`;
const IF_SRV = `ghs${id}`;
const IF_CLI = `ghc${id}`;
const VETH_SRV = `ghva${id}`;
const VETH_CLI = `ghvb${id}`;
const UNDERLAY_SRV = '172.30.0.1';
const UNDERLAY_CLI = '172.30.0.2';
const TUNNEL_SERVER = '10.99.0.1';
const ECHO_PORT = 7000;

const sh = (args: string[], stdin?: string) => runCommand(args[0]!, args.slice(1), { stdin, timeoutMs: 15_000 });
const inNs = (ns: string, args: string[], stdin?: string) => sh(['ip', 'netns', 'exec', ns, ...args], stdin);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const ECHO_SERVER = `const net = require('node:net');
const s = net.createServer((c) => { c.on('error', () => {}); c.pipe(c); });
s.listen(${ECHO_PORT}, '${TUNNEL_SERVER}', () => console.log('ready'));`;

const ECHO_CLIENT = `const net = require('node:net');
const msg = process.argv[1];
const timer = setTimeout(() => { console.error('timeout'); process.exit(2); }, 3000);
const c = net.connect({ host: '${TUNNEL_SERVER}', port: ${ECHO_PORT} });
let got = '';
c.on('connect', () => c.write(msg));
c.on('data', (d) => { got += d; if (got === msg) { clearTimeout(timer); console.log('ok'); process.exit(0); } });
c.on('error', (e) => { console.error(e.message); process.exit(1); });`;

/** One TCP round trip from the client namespace to the echo service on the server's tunnel address. */
async function tcpThroughTunnel(): Promise<boolean> {
  try {
    const { stdout } = await inNs(NS_CLI, [process.execPath, '-e', ECHO_CLIENT, `hello-${id}`]);
    return stdout.trim() === 'ok';
  } catch {
    return false;
  }
}

/** Bounded wait: `attempts` tries, `delayMs` apart. */
async function eventually(check: () => Promise<boolean>, attempts: number, delayMs: number): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return true;
    await sleep(delayMs);
  }
  return false;
}

describe.skipIf(reason)('WireGuard end to end (wireguard-go in network namespaces)', () => {
  const children: ChildProcess[] = [];
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
  const serverDump = async () => parseDump((await inNs(NS_SRV, ['wg', 'show', IF_SRV, 'dump'])).stdout);

  beforeAll(async () => {
    await sh(['ip', 'netns', 'add', NS_SRV]);
    await sh(['ip', 'netns', 'add', NS_CLI]);
    // The veth pair is created inside the server namespace with its other end in the client's: nothing
    // ever appears in the host's namespace.
    await sh(['ip', '-n', NS_SRV, 'link', 'add', VETH_SRV, 'type', 'veth', 'peer', 'name', VETH_CLI, 'netns', NS_CLI]);
    for (const [ns, dev, ip] of [
      [NS_SRV, VETH_SRV, UNDERLAY_SRV],
      [NS_CLI, VETH_CLI, UNDERLAY_CLI],
    ] as const) {
      await sh(['ip', '-n', ns, 'address', 'add', `${ip}/24`, 'dev', dev]);
      await sh(['ip', '-n', ns, 'link', 'set', dev, 'up']);
      await sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }

    const dir = tempDir('gatehouse-e2e-wg-');
    cleanupDir = dir.cleanup;
    const config = loadConfig({
      GATEHOUSE_DATA_DIR: dir.dir,
      GATEHOUSE_ADMIN_PASSWORD: 'correct horse battery',
      GATEHOUSE_WG_INTERFACE: IF_SRV,
      GATEHOUSE_WG_ADDRESS: `${TUNNEL_SERVER}/24`,
      GATEHOUSE_WG_ENDPOINT: UNDERLAY_SRV,
      GATEHOUSE_WG_PORT: '51820',
      GATEHOUSE_WG_ENABLED: 'true',
    });
    db = createDb(config.db);
    await migrateDb(db);
    runtime = new WireGuardRuntime({
      config,
      logger: silentLogger,
      runner: netnsRunner(NS_SRV),
      availability: { available: true, implementation: 'wireguard-go', detail: 'e2e' },
      statsIntervalMs: 3_600_000, // the test polls explicitly
      teardownOnStop: true,
    });
    await runtime.start([]);
    const now = () => new Date();
    app = createApp({
      db: db.db,
      config,
      logger: silentLogger,
      now,
      health: async () => ({
        status: 'ok',
        db: { state: 'ok' },
        caddy: { state: 'disabled' },
        wireguard: runtime.status(),
      }),
      peers: { network: runtime, hooks: new PeerHooks() },
    });
    token = (await createToken({ ctx: systemContext({ db: db.db, config }), input: { name: 'e2e', scope: 'write' } }))
      .token;

    const echo = spawn('ip', ['netns', 'exec', NS_SRV, process.execPath, '-e', ECHO_SERVER], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(echo);
    echo.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('echo server did not start within 10 s')), 10_000);
      echo.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      echo.on('exit', (code) => reject(new Error(`echo server exited with ${code}`)));
    });
  });

  afterAll(async () => {
    // Every step runs even if an earlier one fails; namespaces go last (they take their links with them).
    // Deleting a wireguard-go interface makes its daemon exit and remove its UAPI socket.
    const steps: (() => Promise<unknown>)[] = [
      () => runtime?.stop() ?? Promise.resolve(),
      () => sh(['ip', '-n', NS_SRV, 'link', 'del', IF_SRV]),
      () => sh(['ip', '-n', NS_CLI, 'link', 'del', IF_CLI]),
      async () => {
        for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
        await eventually(async () => children.every((c) => c.exitCode !== null || c.signalCode !== null), 30, 100);
        for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
      () => sh(['ip', 'netns', 'del', NS_CLI]),
      () => sh(['ip', 'netns', 'del', NS_SRV]),
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
    // wireguard-go exits once its TUN device is gone and removes its UAPI socket: wait for that (bounded).
    const gone = await eventually(
      async () => !existsSync(`/var/run/wireguard/${IF_SRV}.sock`) && !existsSync(`/var/run/wireguard/${IF_CLI}.sock`),
      50,
      100,
    );
    if (!gone) console.warn(`wireguard-go sockets for ${IF_SRV}/${IF_CLI} still present after clean-up`);
  });

  it('brings the server interface up with wireguard-go, key, address and port from config', async () => {
    expect(runtime.status()).toMatchObject({ state: 'up', interface: IF_SRV, implementation: 'wireguard-go' });
    const dump = await serverDump();
    expect(dump.publicKey).toBe(runtime.serverPublicKey());
    expect(dump.listenPort).toBe(51820);
    expect((await inNs(NS_SRV, ['ip', '-4', 'address', 'show', 'dev', IF_SRV])).stdout).toContain(
      `${TUNNEL_SERVER}/24`,
    );
  });

  it('carries TCP for a peer created through the API, shows its stats, stops on disable, and is gone on delete', async () => {
    const res = await call('POST', '/api/v1/peers', { name: 'e2e-client', allowed_ips: ['10.99.0.0/24'] });
    expect(res.status).toBe(201);
    const peer = (await res.json()) as { id: number; public_key: string; address: string };
    expect((await serverDump()).peers.map((p) => p.publicKey)).toEqual([peer.public_key]);

    // The client side, from the downloaded wg-quick file: the wg(8) part goes to `wg setconf`, the wg-quick
    // extensions (Address) become ip commands, as wg-quick itself would do.
    const confRes = await call('GET', `/api/v1/peers/${peer.id}/config`);
    expect(confRes.status).toBe(200);
    const conf = await confRes.text();
    const address = /^Address = (.+)$/m.exec(conf)![1]!;
    expect(address).toBe(`${peer.address}/32`);
    const wgPart = conf
      .split('\n')
      .filter((line) => !/^(Address|DNS|MTU|Table|PreUp|PostUp|PreDown|PostDown|SaveConfig)\s*=/.test(line))
      .join('\n');
    const client = spawn('ip', ['netns', 'exec', NS_CLI, 'wireguard-go', '-f', IF_CLI], { stdio: 'ignore' });
    client.on('error', () => {});
    children.push(client);
    expect(await eventually(async () => existsSync(`/var/run/wireguard/${IF_CLI}.sock`), 50, 100)).toBe(true);
    await withSecretFile(wgPart, (file) => inNs(NS_CLI, ['wg', 'setconf', IF_CLI, file]));
    await sh(['ip', '-n', NS_CLI, 'address', 'add', address, 'dev', IF_CLI]);
    await sh(['ip', '-n', NS_CLI, 'link', 'set', IF_CLI, 'up']);
    await sh(['ip', '-n', NS_CLI, 'route', 'add', '10.99.0.0/24', 'dev', IF_CLI]);

    expect(await eventually(tcpThroughTunnel, 5, 500)).toBe(true);

    // Handshake and transfer show in the API: live on GET one, and in the history after a poll.
    let stats: { latest_handshake_at: string | null; rx_bytes: number; tx_bytes: number; online: boolean } | null =
      null;
    const seen = await eventually(
      async () => {
        stats = ((await (await call('GET', `/api/v1/peers/${peer.id}`)).json()) as { stats: typeof stats }).stats;
        return Boolean(stats?.latest_handshake_at && stats.rx_bytes > 0 && stats.tx_bytes > 0);
      },
      20,
      250,
    );
    expect(seen, JSON.stringify(stats)).toBe(true);
    expect(stats!.online).toBe(true);
    await runtime.pollStats();
    const history = (await (await call('GET', `/api/v1/peers/${peer.id}/stats`)).json()) as {
      current: { rx_bytes: number } | null;
      points: unknown[];
    };
    expect(history.points).toHaveLength(1);
    expect(history.current!.rx_bytes).toBeGreaterThan(0);
    const list = (await (await call('GET', '/api/v1/peers')).json()) as {
      data: { stats: { rx_bytes: number } | null }[];
    };
    expect(list.data[0]!.stats!.rx_bytes).toBeGreaterThan(0);

    // Disable: off the interface in the same change, and traffic stops.
    expect((await call('PUT', `/api/v1/peers/${peer.id}`, { enabled: false })).status).toBe(200);
    expect((await serverDump()).peers).toEqual([]);
    expect(await tcpThroughTunnel()).toBe(false);

    // Enable again: back without restarting anything (the client re-handshakes within its 5 s retry).
    const listenPortBefore = (await serverDump()).listenPort;
    expect((await call('PUT', `/api/v1/peers/${peer.id}`, { enabled: true })).status).toBe(200);
    expect(await eventually(tcpThroughTunnel, 8, 1000)).toBe(true);
    expect((await serverDump()).listenPort).toBe(listenPortBefore);

    // Delete: gone from `wg show` and from the API.
    expect((await call('DELETE', `/api/v1/peers/${peer.id}`)).status).toBe(200);
    const after = await inNs(NS_SRV, ['wg', 'show', IF_SRV]);
    expect(after.stdout).not.toContain(peer.public_key);
    expect((await serverDump()).peers).toEqual([]);
    expect((await call('GET', `/api/v1/peers/${peer.id}`)).status).toBe(404);
  });
});
