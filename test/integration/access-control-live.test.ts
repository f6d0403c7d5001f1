// Real: the control plane in-process, the real Caddy binary with the gatehouse guard, a MaxMind-format
// country database written by our mkmmdb tool, the REST API, TCP/TLS clients bound to distinct loopback
// addresses. Simulated: "peers" and "countries" are loopback addresses — the VPN subnet is set to 127.0.0.0/24
// (WireGuard off) so peers get 127.0.0.x addresses, and the test mmdb maps 127.0.0.x to countries.
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTestMmdb } from '../helpers/caddy.ts';
import { tempDir } from '../helpers/env.ts';
import { freePort, tcpServer } from '../helpers/net.ts';
import { type Stack, startStack } from '../helpers/stack.ts';

const DE = '127.0.0.10';
const US = '127.0.0.11';
const CN = '127.0.0.12';
let stack: Stack;
let laptop: { id: number; address: string };
let phone: { id: number; address: string };
const closers: (() => Promise<void>)[] = [];
let mmdbDir: ReturnType<typeof tempDir>;

beforeAll(async () => {
  mmdbDir = tempDir();
  const mmdb = writeTestMmdb(path.join(mmdbDir.dir, 'countries.mmdb'), {
    [`${DE}/32`]: 'DE',
    [`${US}/32`]: 'US',
    [`${CN}/32`]: 'CN',
  });
  stack = await startStack({ GATEHOUSE_WG_ADDRESS: '127.0.0.1/24', GATEHOUSE_GEOIP_DB: mmdb });
  const peer = async (name: string) => {
    const res = await stack.request('POST', '/api/v1/peers', { name });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: number; address: string };
  };
  laptop = await peer('laptop');
  phone = await peer('phone');
});
afterAll(async () => {
  for (const close of closers) await close().catch(() => {});
  await stack?.stop();
  mmdbDir?.cleanup();
});

/** An upstream that reports what it saw; counts connections so a denial can prove nothing reached it. */
async function upstream() {
  let connections = 0;
  const server = await tcpServer((socket) => {
    connections++;
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString();
      if (buf.startsWith('RAW')) return void socket.end('raw-ok');
      if (!buf.includes('\r\n\r\n')) return;
      const body = buf.split('\r\n\r\n')[0]!;
      socket.end(`HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
  });
  closers.push(server.close);
  return { port: server.port, connections: () => connections };
}

async function httpRoute(domain: string, fields: Record<string, unknown>) {
  const up = await upstream();
  const res = await stack.request('POST', '/api/v1/routes', {
    domain,
    target_host: '127.0.0.1',
    target_port: up.port,
    ...fields,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.id as number, up };
}

async function l4Route(fields: Record<string, unknown>) {
  const up = await upstream();
  const port = await freePort();
  const res = await stack.request('POST', '/api/v1/routes', {
    type: 'l4',
    l4_listen_port: port,
    target_host: '127.0.0.1',
    target_port: up.port,
    ...fields,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.id as number, port, up };
}

/** HTTPS through Caddy from a given source address; resolves with the status line's code and headers. */
function getFrom(source: string, host: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: string; body: string }>((resolve, reject) => {
    const tcp = net.connect({ host: '127.0.0.1', port: stack.httpsPort, localAddress: source });
    const socket = tls.connect({ socket: tcp, servername: host, ca: stack.caRoot() }, () => {
      const extra = Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n${extra}\r\n`);
    });
    let raw = '';
    socket.on('data', (d) => (raw += d.toString()));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', body = ''] = raw.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), headers: head, body });
    });
  });
}

/** Connects from `source` to an L4 port: 'open' when the target answered, 'closed' when the guard closed it. */
function l4From(source: string, port: number): Promise<'open' | 'closed'> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: source }, () => socket.write('RAW\n'));
    let answered = false;
    const timer = setTimeout(() => socket.destroy(), 3000);
    socket.on('data', () => (answered = true));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answered ? 'open' : 'closed');
    });
  });
}

describe('peer ACL', () => {
  it('lets listed peers through on HTTP and L4, and nobody else — whatever headers they send', async () => {
    const http = await httpRoute('acl.gatehouse.test', { acl_enabled: true, acl_peers: [laptop.id] });
    expect((await getFrom(laptop.address, 'acl.gatehouse.test')).status).toBe(200);
    expect((await getFrom(phone.address, 'acl.gatehouse.test')).status).toBe(403);
    expect((await getFrom(DE, 'acl.gatehouse.test')).status).toBe(403);
    const spoofed = await getFrom(phone.address, 'acl.gatehouse.test', {
      'X-Forwarded-For': laptop.address,
      'X-Real-IP': laptop.address,
    });
    expect(spoofed.status).toBe(403);

    const l4 = await l4Route({ acl_enabled: true, acl_peers: [laptop.id] });
    expect(await l4From(laptop.address, l4.port)).toBe('open');
    const before = l4.up.connections();
    expect(await l4From(phone.address, l4.port)).toBe('closed');
    expect(l4.up.connections()).toBe(before);
    expect(http.up.connections()).toBe(1);
  });

  it('admits peer groups by tag', async () => {
    const res = await stack.request('PUT', `/api/v1/peers/${phone.id}`, { tags: ['ops'] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await httpRoute('tags.gatehouse.test', { acl_enabled: true, acl_peers: ['tag:ops'] });
    expect((await getFrom(phone.address, 'tags.gatehouse.test')).status).toBe(200);
    expect((await getFrom(laptop.address, 'tags.gatehouse.test')).status).toBe(403);
  });
});

describe('peer lifecycle', () => {
  it('a disabled peer leaves every ACL at once (no route change needed), and a deleted one too', async () => {
    const make = async (name: string) =>
      (await stack.request('POST', '/api/v1/peers', { name })).body as { id: number; address: string };
    const tablet = await make('tablet');
    const watch = await make('watch');
    const route = await httpRoute('lifecycle.gatehouse.test', { acl_enabled: true, acl_peers: [tablet.id, watch.id] });
    expect((await getFrom(tablet.address, 'lifecycle.gatehouse.test')).status).toBe(200);

    expect((await stack.request('PUT', `/api/v1/peers/${tablet.id}`, { enabled: false })).status).toBe(200);
    expect((await getFrom(tablet.address, 'lifecycle.gatehouse.test')).status).toBe(403);
    expect((await getFrom(watch.address, 'lifecycle.gatehouse.test')).status).toBe(200);
    expect((await stack.request('GET', `/api/v1/routes/${route.id}`)).body.acl_peers).toEqual([watch.id]);

    expect((await stack.request('DELETE', `/api/v1/peers/${watch.id}`)).status).toBeLessThan(300);
    expect((await stack.request('GET', `/api/v1/routes/${route.id}`)).body.acl_peers).toEqual([]);
    expect((await getFrom(watch.address, 'lifecycle.gatehouse.test')).status).toBe(403);
  });
});

describe('IP filter', () => {
  it('whitelist with ip, cidr and country rules (HTTP and L4)', async () => {
    const rules = [
      { type: 'ip', value: US },
      { type: 'cidr', value: '127.0.0.64/26' },
      { type: 'country', value: 'de' },
    ];
    await httpRoute('white.gatehouse.test', {
      ip_filter_enabled: true,
      ip_filter_mode: 'whitelist',
      ip_filter_rules: rules,
    });
    const l4 = await l4Route({ ip_filter_enabled: true, ip_filter_mode: 'whitelist', ip_filter_rules: rules });
    for (const [source, allowed] of [
      [US, true],
      ['127.0.0.70', true],
      [DE, true],
      [CN, false],
      ['127.0.0.20', false],
    ] as const) {
      expect((await getFrom(source, 'white.gatehouse.test')).status, source).toBe(allowed ? 200 : 403);
      expect(await l4From(source, l4.port), source).toBe(allowed ? 'open' : 'closed');
    }
  });

  it('blacklist by country; an empty blacklist blocks nobody and an empty whitelist allows nobody', async () => {
    await httpRoute('black.gatehouse.test', {
      ip_filter_enabled: true,
      ip_filter_mode: 'blacklist',
      ip_filter_rules: [{ type: 'country', value: 'CN' }],
    });
    expect((await getFrom(CN, 'black.gatehouse.test')).status).toBe(403);
    expect((await getFrom(US, 'black.gatehouse.test')).status).toBe(200);
    await httpRoute('empty-black.gatehouse.test', {
      ip_filter_enabled: true,
      ip_filter_mode: 'blacklist',
      ip_filter_rules: [],
    });
    expect((await getFrom(CN, 'empty-black.gatehouse.test')).status).toBe(200);
    await httpRoute('empty-white.gatehouse.test', {
      ip_filter_enabled: true,
      ip_filter_mode: 'whitelist',
      ip_filter_rules: [],
    });
    expect((await getFrom(US, 'empty-white.gatehouse.test')).status).toBe(403);
  });

  it('reduces IPv4-mapped IPv6 clients to IPv4', async () => {
    await httpRoute('mapped.gatehouse.test', {
      ip_filter_enabled: true,
      ip_filter_mode: 'whitelist',
      ip_filter_rules: [{ type: 'ip', value: US }],
    });
    const via6 = await new Promise<number>((resolve, reject) => {
      const tcp = net.connect({
        host: '::ffff:127.0.0.1',
        port: stack.httpsPort,
        localAddress: `::ffff:${US}`,
        family: 6,
      });
      const socket = tls.connect({ socket: tcp, servername: 'mapped.gatehouse.test', ca: stack.caRoot() }, () =>
        socket.write('GET / HTTP/1.1\r\nHost: mapped.gatehouse.test\r\nConnection: close\r\n\r\n'),
      );
      let raw = '';
      socket.on('data', (d) => (raw += d.toString()));
      socket.on('error', reject);
      socket.on('end', () => resolve(Number(raw.split(' ')[1])));
    });
    expect(via6).toBe(200);
    const explain = await stack.request(
      'GET',
      `/api/v1/routes/${(await stack.request('GET', '/api/v1/routes?q=mapped')).body.data[0].id}/explain?ip=::ffff:${US}`,
    );
    expect(explain.body).toMatchObject({ ip: US, decision: { allowed: true } });
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After over HTTP, per client IP', async () => {
    await httpRoute('rate.gatehouse.test', {
      rate_limit_enabled: true,
      rate_limit_requests: 3,
      rate_limit_window: '1m',
    });
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 5; i++) {
      const res = await getFrom(DE, 'rate.gatehouse.test');
      statuses.push(res.status);
      retryAfter ??= /retry-after: (\d+)/i.exec(res.headers)?.[1];
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    expect((await getFrom(US, 'rate.gatehouse.test')).status).toBe(200);
  });

  it('closes surplus connections on L4 before they reach the target', async () => {
    const l4 = await l4Route({ rate_limit_enabled: true, rate_limit_requests: 2, rate_limit_window: '1h' });
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await l4From(CN, l4.port));
    expect(results).toEqual(['open', 'open', 'closed', 'closed']);
    expect(l4.up.connections()).toBe(2);
  });
});

describe('explain', () => {
  it('names the deciding rule, and agrees with enforcement on random rule sets and addresses', async () => {
    const l4 = await l4Route({});
    const octet = fc.integer({ min: 2, max: 30 });
    const rule = fc.oneof(
      octet.map((o) => ({ type: 'ip', value: `127.0.0.${o}` })),
      fc
        .tuple(octet, fc.integer({ min: 27, max: 32 }))
        .map(([o, bits]) => ({ type: 'cidr', value: `127.0.0.${o}/${bits}` })),
      fc.constantFrom('DE', 'US', 'CN', 'FR').map((c) => ({ type: 'country', value: c })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('whitelist', 'blacklist'),
        fc.array(rule, { maxLength: 4 }),
        fc.array(octet, { minLength: 1, maxLength: 3 }),
        async (mode, rules, sources) => {
          const res = await stack.request('PUT', `/api/v1/routes/${l4.id}`, {
            ip_filter_enabled: true,
            ip_filter_mode: mode,
            ip_filter_rules: rules,
          });
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          for (const o of sources) {
            const ip = `127.0.0.${o}`;
            const explained = await stack.request('GET', `/api/v1/routes/${l4.id}/explain?ip=${ip}`);
            expect(explained.status).toBe(200);
            const actual = await l4From(ip, l4.port);
            expect(
              actual === 'open',
              `${mode} ${JSON.stringify(rules)} from ${ip}: explain said ${JSON.stringify(explained.body.decision)}`,
            ).toBe(explained.body.decision.allowed);
          }
        },
      ),
      { numRuns: 25, seed: 20261121 },
    );
    const denied = await stack.request('PUT', `/api/v1/routes/${l4.id}`, {
      // An enabled blacklist without rules is no rule of the policy at all, so it reads back as disabled.
      ip_filter_enabled: true,
      ip_filter_mode: 'blacklist',
      ip_filter_rules: [{ type: 'cidr', value: '127.0.0.0/28' }],
    });
    expect(denied.status).toBe(200);
    const why = await stack.request('GET', `/api/v1/routes/${l4.id}/explain?ip=127.0.0.5`);
    // The IP filter is a rule of the route's policy now (docs/architecture.md "GateControl compatibility").
    expect(why.body.decision).toMatchObject({ allowed: false, check: 'rule', rule_index: 0 });
    expect(why.body.decision.rule).toContain('127.0.0.0/28');
    expect((await stack.request('GET', `/api/v1/routes/${l4.id}/explain?ip=not-an-ip`)).status).toBe(422);
  });
});

describe('settings', () => {
  it('shows which GeoIP file is in use and its build date, as the data plane loaded it', async () => {
    const res = await stack.request('GET', '/api/v1/settings');
    expect(res.status).toBe(200);
    expect(res.body.geoip.path).toMatch(/countries\.mmdb$/);
    expect(res.body.geoip.source).toBe('configured');
    const loaded = JSON.stringify(res.body.geoip.loaded);
    expect(loaded).toContain('countries.mmdb');
    expect(loaded).toMatch(/build/);
    expect(res.body.l4.blocked_ports).toEqual(expect.arrayContaining([22, 53, 80, 443, 2019, 3000, 51820]));
  });
});
