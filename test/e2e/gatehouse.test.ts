// End to end (issue 8). Real: everything — six network namespaces built by this test, WireGuard
// (wireguard-go) between the server, the gateway and the laptop, the `gatehouse server` process with its
// supervised Caddy, the `gatehouse gateway` agent, OpenSSH, and LAN services in a namespace reachable only
// through the gateway; clients are ssh, curl and Node sockets run inside the client/laptop namespaces.
// Simulated: the internet is a bridge; countries come from a test mmdb. Needs root (CI runs it); skipped
// with the reason printed otherwise. A failure prints the scenario, the command and the processes' logs.
import { spawn } from 'node:child_process';
import * as OTPAuth from 'otpauth';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.ts';
import { namespaceSkipReason } from './support/topology.ts';
import { ADDR, buildWorld, WOL_MAC, type World } from './support/world.ts';

const reason = await namespaceSkipReason(['ip', 'wg', 'wireguard-go', 'sshd', 'ssh', 'curl', 'openssl', 'go']);
if (reason) console.log(`skipping the end-to-end suite: ${reason}`);

let world: World;
const started = Date.now();
const log = (line: string) => console.log(`[e2e +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);

/** Runs a command in a namespace; its failure names the command. */
async function run(role: string, args: string[], timeoutMs = 15_000, input?: string): Promise<string> {
  try {
    return await world.topo.exec(role, args, { timeoutMs, input });
  } catch (err) {
    throw new Error(`command in ${role}: ${args.join(' ')}\n${(err as Error).message}`);
  }
}

const ssh = (command: string) => [
  'ssh',
  '-i',
  world.sshKey,
  '-p',
  '2222',
  '-o',
  'StrictHostKeyChecking=no',
  '-o',
  'UserKnownHostsFile=/dev/null',
  '-o',
  'BatchMode=yes',
  '-o',
  'ConnectTimeout=5',
  '-o',
  'LogLevel=ERROR',
  `root@${ADDR.server}`,
  command,
];

/** curl through Caddy with SNI/Host `host` resolved to `ip`; prints "STATUS retry-after" then the body. */
async function curl(
  role: string,
  host: string,
  ip: string,
  extra: string[] = [],
): Promise<{ status: number; retryAfter?: string; body: string }> {
  const out = await run(role, [
    'curl',
    '-s',
    '--max-time',
    '8',
    '--cacert',
    world.caRoot(),
    '--resolve',
    `${host}:443:${ip}`,
    '-D',
    '-',
    ...extra,
    `https://${host}/`,
  ]).catch((err: Error) => `000 ${err.message}`);
  const status = Number(/^HTTP\/\S+ (\d{3})/m.exec(out)?.[1] ?? 0);
  return {
    status,
    retryAfter: /^retry-after: (\d+)/im.exec(out)?.[1],
    body: out.split('\r\n\r\n').slice(1).join('\r\n\r\n'),
  };
}

/** A Node socket client inside a namespace: TCP (optionally TLS with SNI) or UDP; prints what came back. */
const NODE_CLIENT = `
const [kind, host, port, payload, sni, ca] = process.argv.slice(1);
const done = (s) => { process.stdout.write(s); process.exit(0); };
setTimeout(() => done('TIMEOUT'), 6000);
if (kind === 'udp') {
  const s = require('node:dgram').createSocket('udp4');
  s.on('message', (m) => done(m.toString()));
  s.send(payload, Number(port), host);
} else {
  const opts = { host, port: Number(port) };
  const c = kind === 'tls'
    ? require('node:tls').connect({ ...opts, servername: sni, ...(ca ? { ca: require('node:fs').readFileSync(ca) } : { rejectUnauthorized: false }) })
    : require('node:net').connect(opts);
  let got = '';
  c.on(kind === 'tls' ? 'secureConnect' : 'connect', () => { if (payload) c.write(payload); });
  c.on('data', (d) => { got += d; if (kind !== 'tls' || got.length) setTimeout(() => done(got), 50); });
  // A server that closes a connection with our payload still unread makes the kernel send RST instead of FIN:
  // either way the server hung up without answering, so a reset before any byte came back counts as CLOSED.
  c.on('error', (e) => done(e.code === 'ECONNRESET' && !got ? 'CLOSED' : 'ERROR ' + e.code));
  c.on('close', () => done(got || 'CLOSED'));
}`;
const node = (role: string, ...args: string[]) => run(role, [process.execPath, '-e', NODE_CLIENT, ...args]);

async function route(body: Record<string, unknown>) {
  const res = await world.api('POST', '/api/v1/routes', body);
  if (res.status !== 201) throw new Error(`POST /api/v1/routes ${JSON.stringify(body)} → ${res.status} ${res.text}`);
  return res.body as { id: number };
}
const viaGateway = (body: Record<string, unknown>) =>
  route({ target_kind: 'gateway', gateway_id: world.gateway.id, target_lan_host: ADDR.lan, ...body });
/** The agent applies a change asynchronously: retry a client check for a bounded time. */
const eventually = <T>(what: string, fn: () => Promise<T | undefined>) => waitFor(what, fn, 15_000, 250);

describe.skipIf(reason)('Gatehouse end to end', () => {
  beforeAll(async () => {
    world = await buildWorld(log);
    log('world ready');
  }, 300_000);
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail')
      console.log(`\n===== scenario failed: ${ctx.task.name} =====\n${world?.topo.logs(80)}`);
  });
  afterAll(async () => {
    await world?.destroy();
    log('torn down');
  }, 120_000);

  it('1. L4 TCP through the gateway: ssh -p 2222 from the internet lands on the LAN sshd', async () => {
    await viaGateway({ type: 'l4', l4_listen_port: 2222, target_lan_port: 22 });
    const out = await eventually('ssh through the gateway', () =>
      run('client', ssh('ip -4 -o addr show')).catch(() => undefined),
    );
    expect(out).toContain(ADDR.lan);
  });

  it('2. UDP port range through the gateway: each port of 27015-27017 echoes through its LAN port', async () => {
    await viaGateway({ type: 'l4', l4_protocol: 'udp', l4_listen_port: '27015-27017', target_lan_port: 27015 });
    for (const port of [27015, 27016, 27017]) {
      const got = await eventually(`udp ${port}`, async () => {
        const r = await node('client', 'udp', ADDR.server, String(port), 'x');
        return r.startsWith('udp') ? r : undefined;
      });
      expect(got).toBe(`udp${port}:x`);
    }
  });

  it('3. HTTP route to a LAN app via the gateway, over HTTPS with a certificate from Caddy', async () => {
    await viaGateway({ domain: 'app.e2e.test', target_lan_port: 8080 });
    const res = await eventually('https://app.e2e.test', async () => {
      const r = await curl('client', 'app.e2e.test', ADDR.server);
      return r.status === 200 ? r : undefined;
    });
    expect(JSON.parse(res.body)).toMatchObject({ app: 'lan-http', url: '/' });
  });

  it('4. two TLS passthrough routes on one port told apart by SNI; terminate hands plain TCP to the LAN', async () => {
    await viaGateway({
      type: 'l4',
      l4_tls_mode: 'passthrough',
      l4_listen_port: 4443,
      domain: 'a.e2e.test',
      target_lan_port: 8443,
    });
    await viaGateway({
      type: 'l4',
      l4_tls_mode: 'passthrough',
      l4_listen_port: 4443,
      domain: 'b.e2e.test',
      target_lan_port: 8444,
    });
    for (const name of ['a', 'b']) {
      const got = await eventually(`SNI ${name}`, async () => {
        const r = await node('client', 'tls', ADDR.server, '4443', '', `${name}.e2e.test`);
        return r.startsWith('lan-tls') ? r : undefined;
      });
      expect(got).toBe(`lan-tls-${name}:${name}.e2e.test`);
    }
    await viaGateway({
      type: 'l4',
      l4_tls_mode: 'terminate',
      l4_listen_port: 4444,
      domain: 'term.e2e.test',
      target_lan_port: 9000,
    });
    const plain = await eventually('terminate', async () => {
      const r = await node('client', 'tls', ADDR.server, '4444', 'hi', 'term.e2e.test', world.caRoot());
      return r.startsWith('echo') ? r : undefined;
    });
    expect(plain).toBe('echo:hi');
  });

  it('5. peer ACL: the route answers the laptop through the tunnel, refuses the internet; disabling the laptop closes it', async () => {
    await viaGateway({
      domain: 'acl.e2e.test',
      target_lan_port: 8080,
      acl_enabled: true,
      acl_peers: [world.laptopPeer.id],
    });
    const viaTunnel = await eventually('laptop through the tunnel', async () => {
      const r = await curl('laptop', 'acl.e2e.test', ADDR.tunnelServer);
      return r.status === 200 ? r : undefined;
    });
    expect(viaTunnel.status).toBe(200);
    expect((await curl('client', 'acl.e2e.test', ADDR.server)).status).toBe(403);
    expect((await curl('laptop', 'acl.e2e.test', ADDR.server)).status).toBe(403); // the laptop, but not through the tunnel
    expect((await world.api('PUT', `/api/v1/peers/${world.laptopPeer.id}`, { enabled: false })).status).toBe(200);
    expect((await curl('laptop', 'acl.e2e.test', ADDR.tunnelServer)).status).not.toBe(200);
    expect((await world.api('PUT', `/api/v1/peers/${world.laptopPeer.id}`, { enabled: true })).status).toBe(200);
  });

  it('6. IP filter with ip, cidr and country rules, whitelist and blacklist, on an HTTP and an L4 route', async () => {
    await viaGateway({
      domain: 'geo.e2e.test',
      target_lan_port: 8080,
      ip_filter_enabled: true,
      ip_filter_mode: 'whitelist',
      ip_filter_rules: [{ type: 'country', value: 'DE' }],
    });
    expect(
      await eventually('laptop (DE) allowed', async () =>
        (await curl('laptop', 'geo.e2e.test', ADDR.server)).status === 200 ? 200 : undefined,
      ),
    ).toBe(200);
    expect((await curl('client', 'geo.e2e.test', ADDR.server)).status).toBe(403);

    const l4 = await viaGateway({
      type: 'l4',
      l4_listen_port: 6000,
      target_lan_port: 9000,
      ip_filter_enabled: true,
      ip_filter_mode: 'blacklist',
      ip_filter_rules: [{ type: 'ip', value: ADDR.client }],
    });
    expect(
      await eventually('laptop allowed on L4', async () =>
        (await node('laptop', 'tcp', ADDR.server, '6000', 'x')) === 'echo:x' ? 'ok' : undefined,
      ),
    ).toBe('ok');
    expect(await node('client', 'tcp', ADDR.server, '6000', 'x')).toBe('CLOSED');
    const update = await world.api('PUT', `/api/v1/routes/${l4.id}`, {
      ip_filter_mode: 'whitelist',
      ip_filter_rules: [{ type: 'cidr', value: '198.51.100.0/28' }],
    });
    expect(update.status).toBe(200);
    expect(await node('client', 'tcp', ADDR.server, '6000', 'y')).toBe('echo:y');
    expect(await node('laptop', 'tcp', ADDR.server, '6000', 'y')).toBe('CLOSED');
  });

  it('7. rate limit: 429 with Retry-After over HTTP; surplus connections closed on L4', async () => {
    await viaGateway({
      domain: 'rate.e2e.test',
      target_lan_port: 8080,
      rate_limit_enabled: true,
      rate_limit_requests: 2,
      rate_limit_window: '1m',
    });
    await eventually('rate route up', async () =>
      (await curl('laptop', 'rate.e2e.test', ADDR.server)).status === 200 ? true : undefined,
    );
    const statuses = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 3; i++) {
      const r = await curl('client', 'rate.e2e.test', ADDR.server);
      statuses.push(r.status);
      retryAfter ??= r.retryAfter;
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);

    await viaGateway({
      type: 'l4',
      l4_listen_port: 6001,
      target_lan_port: 9000,
      rate_limit_enabled: true,
      rate_limit_requests: 2,
      rate_limit_window: '1h',
    });
    await eventually('L4 rate route up (from the laptop, its own budget)', async () =>
      (await node('laptop', 'tcp', ADDR.server, '6001', 'w')) === 'echo:w' ? true : undefined,
    );
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await node('client', 'tcp', ADDR.server, '6001', 'z'));
    expect(results).toEqual(['echo:z', 'echo:z', 'CLOSED']);
  });

  it('8. route auth with password + TOTP in front of the HTTP route; the upstream never sees our cookie', async () => {
    const r = await viaGateway({ domain: 'auth.e2e.test', target_lan_port: 8080 });
    const user = await world.api('POST', `/api/v1/routes/${r.id}/auth-users`, {
      username: 'alice',
      password: 'alice e2e password',
    });
    expect(user.status, user.text).toBe(201);
    const enable = await world.api('PUT', `/api/v1/routes/${r.id}`, {
      auth_enabled: true,
      auth_method: 'password_totp',
    });
    expect(enable.status, enable.text).toBe(200);
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(user.body.totp.secret), digits: 6, period: 30 });
    const jar = `${world.dir}/cookies-${Date.now()}.txt`;
    const c = (path: string, extra: string[] = []) =>
      run('client', [
        'curl',
        '-s',
        '--max-time',
        '8',
        '--cacert',
        world.caRoot(),
        '--resolve',
        `auth.e2e.test:443:${ADDR.server}`,
        '-b',
        jar,
        '-c',
        jar,
        '-D',
        '-',
        ...extra,
        `https://auth.e2e.test${path}`,
      ]);
    const first = await eventually('the login redirect', async () => {
      const out = await c('/private');
      return /^HTTP\/\S+ 302/m.test(out) ? out : undefined;
    });
    expect(first).toMatch(/location: \/\.gatehouse\/login\?rd=%2Fprivate/i);
    const page = await c('/.gatehouse/login?rd=%2Fprivate');
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
    expect(csrf).toBeTruthy();
    const afterPassword = await c('/.gatehouse/login', [
      '--data-urlencode',
      `csrf=${csrf}`,
      '--data-urlencode',
      'rd=/private',
      '--data-urlencode',
      'username=alice',
      '--data-urlencode',
      'password=alice e2e password',
    ]);
    expect(afterPassword).toMatch(/location: \/\.gatehouse\/totp/i);
    const done = await c('/.gatehouse/totp', [
      '--data-urlencode',
      `csrf=${csrf}`,
      '--data-urlencode',
      'rd=/private',
      '--data-urlencode',
      `code=${totp.generate()}`,
    ]);
    expect(done).toMatch(/^HTTP\/\S+ 303/m);
    const through = await c('/private', ['-H', 'Remote-User: admin', '-H', 'Cookie: theme=dark']);
    expect(through).toMatch(/^HTTP\/\S+ 200/m);
    const seen = JSON.parse(through.split('\r\n\r\n').slice(1).join('\r\n\r\n')) as { headers: Record<string, string> };
    expect(seen.headers['remote-user']).toBe('alice');
    expect(JSON.stringify(seen.headers)).not.toContain('gatehouse_auth');
  });

  it('9. Wake-on-LAN: the target is asleep, the gateway sends the magic packet and the retried dial succeeds', async () => {
    await viaGateway({ type: 'l4', l4_listen_port: 7777, target_lan_port: 7777, wol_enabled: true, wol_mac: WOL_MAC });
    const got = await eventually('the sleeper to answer', async () => {
      const r = await node('client', 'tcp', ADDR.server, '7777', '');
      return r === 'awake' ? r : undefined;
    });
    expect(got).toBe('awake');
    expect(world.lan.log()).toMatch(new RegExp(`magic packet from ${ADDR.gwLan.replace(/\./g, '\\.')}: valid`));
  });

  it('10. an open ssh session keeps working while other routes change; Caddy is never reloaded', async () => {
    const etag = (await world.caddyAdmin.config()).etag;
    const session = spawn('ip', ['netns', 'exec', world.topo.ns('client'), ...ssh('cat')], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    session.stdout.on('data', (d) => (out += d));
    session.on('error', () => {});
    try {
      const say = async (line: string) => {
        session.stdin.write(`${line}\n`);
        await waitFor(
          `"${line}" echoed through the ssh session`,
          () => (out.includes(line) ? true : undefined),
          10_000,
          50,
        );
      };
      await say('before-changes');
      const a = await viaGateway({ type: 'l4', l4_listen_port: 6100, target_lan_port: 9000 });
      const b = await viaGateway({ domain: 'churn.e2e.test', target_lan_port: 8080 });
      expect((await world.api('PUT', `/api/v1/routes/${a.id}`, { l4_listen_port: 6101 })).status).toBe(200);
      expect(
        (await world.api('PUT', `/api/v1/routes/${b.id}`, { rate_limit_enabled: true, rate_limit_requests: 5 })).status,
      ).toBe(200);
      expect((await world.api('DELETE', `/api/v1/routes/${a.id}`)).status).toBe(200);
      await say('after-changes');
      expect(session.exitCode).toBeNull();
      expect((await world.caddyAdmin.config()).etag).toBe(etag);
    } finally {
      session.kill('SIGKILL');
    }
  });

  it('11. gateway offline: a clean failure and the API shows it; back, it resyncs; a control-plane restart keeps the data plane serving', async () => {
    await world.agent().stop();
    await eventually('the gateway offline in the API', async () =>
      (await world.api('GET', `/api/v1/gateways/${world.gateway.id}`)).body.online === false ? true : undefined,
    );
    const t0 = Date.now();
    const failed = await node('client', 'tcp', ADDR.server, '2222', '');
    expect(['CLOSED', 'ERROR ECONNRESET']).toContain(failed);
    expect(Date.now() - t0).toBeLessThan(5000);

    await world.startAgent();
    const back = await eventually('ssh after the gateway is back', () =>
      run('client', ssh('echo back')).catch(() => undefined),
    );
    expect(back.trim()).toBe('back');

    const before = (await world.api('GET', '/api/v1/health')).body;
    const server = world.server();
    const exited = new Promise((r) => server.child.once('exit', r));
    server.child.kill('SIGKILL'); // the node process only: Caddy and WireGuard keep running
    await exited;
    // While the control plane is down, the data plane still serves.
    expect((await curl('client', 'app.e2e.test', ADDR.server)).status).toBe(200);
    expect((await run('client', ssh('echo during'))).trim()).toBe('during');
    await world.startServer();
    const after = (await world.api('GET', '/api/v1/health')).body;
    expect(after.caddy.pid).toBe(before.caddy.pid);
    await eventually('the agent to reconnect by itself', async () =>
      (await world.api('GET', `/api/v1/gateways/${world.gateway.id}`)).body.online ? true : undefined,
    );
    expect((await curl('client', 'app.e2e.test', ADDR.server)).status).toBe(200);
  });
});
