// Issue 16 (identity headers): the upstream of an HTTP route gets `Remote-User`, `Remote-Name`, `Remote-Groups`
// for a client that is a VPN peer (from its tunnel address), and never what a client sent under those names.
// Real: the control plane in-process, the real Caddy binary, TLS from Caddy's internal CA, an upstream that
// echoes the request head, clients on loopback. Simulated: WireGuard is off and its subnet is a loopback one
// (127.77.0.0/24), so a client that binds 127.77.0.x is "the peer with that tunnel address" as Caddy sees it.
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tcpServer } from '../helpers/net.ts';
import { type Stack, startStack } from '../helpers/stack.ts';

let stack: Stack;
const closers: (() => Promise<void>)[] = [];
const HOST = 'who.gatehouse.test';
const HOSTILE = {
  'Remote-User': 'admin',
  'remote-email': 'root@example.test',
  'REMOTE-GROUPS': 'owners',
  'Remote-Name': 'Evil',
  // CGI-style upstreams read this as REMOTE_USER too: Caddy's server drops it, gatehouse_identity would too
  // (caddy-module/identity.go).
  Remote_User: 'admin',
};

beforeAll(async () => {
  stack = await startStack({ GATEHOUSE_WG_ADDRESS: '127.77.0.1/24', GATEHOUSE_WG_ENDPOINT: 'vpn.example.test' });
  const upstream = await tcpServer((socket) => {
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString();
      if (!buf.includes('\r\n\r\n')) return;
      const body = buf.split('\r\n\r\n')[0]!;
      socket.end(`HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
  });
  closers.push(upstream.close);
  const route = await stack.request('POST', '/api/v1/routes', {
    domain: HOST,
    target_host: '127.0.0.1',
    target_port: upstream.port,
  });
  expect(route.status, JSON.stringify(route.body)).toBe(201);
}, 120_000);
afterAll(async () => {
  for (const close of closers) await close().catch(() => {});
  await stack?.stop();
});

/** GET / from `localAddress` with extra request headers; the upstream's view of the request head. */
function get(localAddress: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      {
        socket: net.connect({ host: '127.0.0.1', port: stack.httpsPort, localAddress }),
        servername: HOST,
        ca: stack.caRoot(),
      },
      () => {
        const extra = Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('');
        socket.write(`GET / HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n${extra}\r\n`);
      },
    );
    let raw = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error('timeout')));
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (raw += d));
    socket.on('error', reject);
    socket.on('end', () => resolve(raw.split('\r\n\r\n').slice(1).join('\r\n\r\n')));
  });
}

/** How many provisioned handler chains the module holds (its health), current and retiring generations'. */
async function moduleUnits(): Promise<number> {
  const res = await stack.server.caddy!.admin.request<{ units: number }>('GET', '/gatehouse/v1/health');
  expect(res.status).toBe(200);
  return res.body.units;
}

const header = (head: string, name: string) =>
  head
    .split('\r\n')
    .filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    .map((l) => l.slice(name.length + 1).trim());

describe('identity headers through the real Caddy', () => {
  it("strips a client's Remote-* headers, whatever their case", async () => {
    const head = await get('127.0.0.1', HOSTILE);
    expect(head).toMatch(/^GET \/ HTTP\/1\.1/);
    for (const name of ['Remote-User', 'Remote-Email', 'Remote-Groups', 'Remote-Name', 'Remote_User'])
      expect(header(head, name), name).toEqual([]);
  });

  it("sets the peer's name and tags for a client from its tunnel address, replacing what it sent", async () => {
    const made = await stack.request('POST', '/api/v1/peers', { name: 'alice-laptop', tags: ['staff', 'dev'] });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const address = String(made.body.address);
    expect(address.startsWith('127.77.0.')).toBe(true);
    const head = await get(address, HOSTILE);
    expect(header(head, 'Remote-User')).toEqual(['alice-laptop']);
    expect(header(head, 'Remote-Name')).toEqual(['alice-laptop']);
    expect(header(head, 'Remote-Groups')).toEqual(['dev,staff']);
    expect(header(head, 'Remote-Email')).toEqual([]);
    expect(header(head, 'Remote_User')).toEqual([]);
    // A rename reaches the upstream with the next request and changes only the snapshot's peer table: the
    // route's handlers stay provisioned (no new unit in the module; docs/snapshot.md "Peer identity").
    const unitsBefore = await moduleUnits();
    const renamed = await stack.request('PUT', `/api/v1/peers/${made.body.id}`, { name: 'alice-desktop' });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    const afterRename = await get(address, HOSTILE);
    expect(header(afterRename, 'Remote-User')).toEqual(['alice-desktop']);
    expect(header(afterRename, 'Remote-Groups')).toEqual(['dev,staff']);
    expect(await moduleUnits()).toBe(unitsBefore);
    // Another address in the subnet that is no peer: nothing set.
    expect(header(await get('127.77.0.250', HOSTILE), 'Remote-User')).toEqual([]);
    // Disabled, the peer is nobody.
    const off = await stack.request('PUT', `/api/v1/peers/${made.body.id}`, { enabled: false });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    expect(header(await get(address, {}), 'Remote-User')).toEqual([]);
  });
});
