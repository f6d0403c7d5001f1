// Real: the control plane in-process, the real Caddy binary with the gatehouse guard (policy engine v2), a
// MaxMind-format country database written by our mkmmdb tool, the REST API, TCP/TLS clients bound to distinct
// loopback addresses. Simulated: peers and countries are loopback addresses (VPN subnet 127.0.0.0/24, WireGuard
// off), as in access-control-live.test.ts. Issue 15: ordered rules on HTTP and L4 routes, end to end.
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTestMmdb } from '../helpers/caddy.ts';
import { tempDir } from '../helpers/env.ts';
import { freePort, tcpServer } from '../helpers/net.ts';
import { type Stack, startStack } from '../helpers/stack.ts';

const DE = '127.0.0.10';
const US = '127.0.0.20';
const ELSEWHERE = '127.0.0.30';
let stack: Stack;
let staff: { id: number; address: string };
let guest: { id: number; address: string };
const closers: (() => Promise<void>)[] = [];
let mmdbDir: ReturnType<typeof tempDir>;

beforeAll(async () => {
  mmdbDir = tempDir();
  const mmdb = writeTestMmdb(path.join(mmdbDir.dir, 'countries.mmdb'), { [`${DE}/32`]: 'DE', [`${US}/32`]: 'US' });
  stack = await startStack({ GATEHOUSE_WG_ADDRESS: '127.0.0.1/24', GATEHOUSE_GEOIP_DB: mmdb });
  const peer = async (name: string, tags: string[]) => {
    const res = await stack.request('POST', '/api/v1/peers', { name, tags });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: number; address: string };
  };
  staff = await peer('desk', ['staff']);
  guest = await peer('visitor', []);
}, 60_000);
afterAll(async () => {
  for (const close of closers) await close().catch(() => {});
  await stack?.stop();
  mmdbDir?.cleanup();
});

/** An upstream that answers with the request head it saw (HTTP) or `raw-ok` (L4). */
async function upstream() {
  const server = await tcpServer((socket) => {
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
  return server.port;
}

function getFrom(source: string, host: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: string; body: string }>((resolve, reject) => {
    const tcp = net.connect({ host: '127.0.0.1', port: stack.httpsPort, localAddress: source });
    const socket = tls.connect({ socket: tcp, servername: host, ca: stack.caRoot() }, () => {
      const extra = Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.write(`GET /app HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n${extra}\r\n`);
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

describe('ordered rules through the real Caddy', () => {
  it('HTTP: peers tagged staff get in, anyone from Germany after a login, nobody else', async () => {
    const host = 'staff-or-de.gatehouse.test';
    const res = await stack.request('POST', '/api/v1/routes', {
      domain: host,
      target_host: '127.0.0.1',
      target_port: await upstream(),
      auth_password: 'a password for visitors',
      policy: {
        rules: [
          { action: 'allow', name: 'staff over the VPN', conditions: [{ type: 'peer_tag', values: ['staff'] }] },
          {
            action: 'allow',
            name: 'Germany, after a login',
            login: true,
            conditions: [{ type: 'country', values: ['DE'] }],
          },
        ],
        default: 'deny',
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ policy_expressible: false, data_plane: 'applied' });

    const fromStaff = await getFrom(staff.address, host, { 'Remote-User': 'mallory' });
    expect(fromStaff.status).toBe(200);
    // No login for staff, and the identity header is still ours alone.
    expect(fromStaff.body).not.toContain('mallory');
    const fromGermany = await getFrom(DE, host);
    expect(fromGermany.status).toBe(302);
    expect(fromGermany.headers).toMatch(/location: \/\.gatehouse\/login\?rd=%2Fapp/i);
    expect((await getFrom(US, host)).status).toBe(403);
    expect((await getFrom(guest.address, host)).status).toBe(403);

    const why = await stack.request('GET', `/api/v1/routes/${res.body.id}/explain?ip=${DE}`);
    expect(why.body.decision).toMatchObject({ allowed: true, check: 'rule', rule_index: 1, login: true });

    // Tagging the visitor's peer staff lets it in at once, without a route change.
    expect((await stack.request('PUT', `/api/v1/peers/${guest.id}`, { tags: ['staff'] })).status).toBe(200);
    expect((await getFrom(guest.address, host)).status).toBe(200);
    // Disabled: resolution drops it.
    expect((await stack.request('PUT', `/api/v1/peers/${guest.id}`, { enabled: false })).status).toBe(200);
    expect((await getFrom(guest.address, host)).status).toBe(403);
  });

  it('a time window decides by explain `at` (office hours in Berlin)', async () => {
    const res = await stack.request('POST', '/api/v1/routes', {
      domain: 'office-hours.gatehouse.test',
      target_host: '127.0.0.1',
      target_port: await upstream(),
      policy: {
        rules: [
          {
            action: 'deny',
            name: 'outside office hours',
            conditions: [
              {
                type: 'time',
                not: true,
                days: ['mon', 'tue', 'wed', 'thu', 'fri'],
                from: '08:00',
                to: '18:00',
                tz: 'Europe/Berlin',
              },
            ],
          },
        ],
        default: 'allow',
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const explain = async (at: string) =>
      (await stack.request('GET', `/api/v1/routes/${res.body.id}/explain?ip=${US}&at=${encodeURIComponent(at)}`)).body;
    // Monday 2026-11-30 09:30 in Berlin (UTC+1) is 08:30 UTC.
    expect((await explain('2026-11-30T08:30:00Z')).decision).toMatchObject({ allowed: true, check: 'default' });
    // 07:30 in Berlin: before the window.
    expect((await explain('2026-11-30T06:30:00Z')).decision).toMatchObject({
      allowed: false,
      check: 'rule',
      rule_index: 0,
    });
    // Sunday noon.
    expect((await explain('2026-11-29T11:00:00Z')).decision).toMatchObject({ allowed: false, rule_index: 0 });
  });

  it('L4 TCP: CIDR and deny rules, first match decides', async () => {
    const port = await freePort();
    const res = await stack.request('POST', '/api/v1/routes', {
      type: 'l4',
      l4_listen_port: port,
      target_host: '127.0.0.1',
      target_port: await upstream(),
      policy: {
        rules: [
          { action: 'deny', name: 'a blocked range', conditions: [{ type: 'cidr', values: ['127.0.0.8/30'] }] },
          {
            action: 'allow',
            name: 'loopback, not from the US',
            conditions: [
              { type: 'cidr', values: ['127.0.0.0/24'] },
              { type: 'country', not: true, values: ['US'] },
            ],
          },
        ],
        default: 'deny',
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(await l4From(DE, port)).toBe('closed');
    expect(await l4From(staff.address, port)).toBe('open');
    expect(await l4From(ELSEWHERE, port)).toBe('open');
    expect(await l4From(US, port)).toBe('closed');
    const why = await stack.request('GET', `/api/v1/routes/${res.body.id}/explain?ip=${US}`);
    expect(why.body.decision).toMatchObject({ allowed: false, check: 'default' });

    // A login or an HTTP-only condition cannot reach an L4 route.
    const refused = await stack.request('PUT', `/api/v1/routes/${res.body.id}`, {
      policy: { rules: [{ action: 'allow', conditions: [{ type: 'path_prefix', values: ['/x'] }] }], default: 'deny' },
    });
    expect(refused.status).toBe(422);
  });
});
