// Item 11 of issue 13: a wildcard route let anyone make Caddy issue certificates for names they invented (40 in
// one test). On-demand TLS now serves names a route names exactly or lists in `tls_names`, and new names are
// rate-limited per route (10 a minute by default) and overall (caddy-module/permission.go).
// Real: the control plane in-process, the real Caddy binary, its internal CA, TLS handshakes on loopback.
// Simulated: nothing.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tcpServer } from '../helpers/net.ts';
import { type Stack, startStack } from '../helpers/stack.ts';

let stack: Stack;
const closers: (() => Promise<void>)[] = [];
let upstreamPort = 0;

beforeAll(async () => {
  stack = await startStack();
  const upstream = await tcpServer((socket) =>
    socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok')),
  );
  closers.push(upstream.close);
  upstreamPort = upstream.port;
}, 60_000);
afterAll(async () => {
  for (const close of closers) await close().catch(() => {});
  await stack?.stop();
});

/** Whether a TLS handshake for `name` succeeds with a certificate for it, trusting Caddy's internal CA. */
function handshake(name: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port: stack.httpsPort, servername: name, ca: stack.caRoot(), timeout: 10_000 },
      () => {
        resolve(socket.authorized);
        socket.destroy();
      },
    );
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** The names Caddy holds a certificate for in its storage. */
function issued(): string[] {
  const dir = path.join(stack.dir, 'caddy', 'certificates');
  try {
    return readdirSync(dir).flatMap((issuer) => readdirSync(path.join(dir, issuer)));
  } catch {
    return [];
  }
}

const route = (domain: string, extra: Record<string, unknown> = {}) => ({
  domain,
  target_host: '127.0.0.1',
  target_port: upstreamPort,
  ...extra,
});

describe('on-demand certificates under a wildcard route', () => {
  it('issues none for names the route does not list', async () => {
    const res = await stack.request('POST', '/api/v1/routes', route('*.wild.gatehouse.test'));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const invented = Array.from({ length: 12 }, (_, i) => `scan${i}.wild.gatehouse.test`);
    const results = [];
    for (const name of invented) results.push(await handshake(name));
    expect(results.filter(Boolean)).toHaveLength(0);
    expect(issued().filter((n) => n.endsWith('.wild.gatehouse.test'))).toEqual([]);
  });

  it('issues for exact names and for the names a wildcard route lists, and nothing else', async () => {
    const exact = await stack.request('POST', '/api/v1/routes', route('exact.gatehouse.test'));
    expect(exact.status, JSON.stringify(exact.body)).toBe(201);
    const wild = await stack.request(
      'POST',
      '/api/v1/routes',
      route('*.listed.gatehouse.test', { tls_names: ['Wiki.Listed.Gatehouse.Test.', 'git.listed.gatehouse.test'] }),
    );
    expect(wild.status, JSON.stringify(wild.body)).toBe(201);
    expect(wild.body.tls_names).toEqual(['wiki.listed.gatehouse.test', 'git.listed.gatehouse.test']);

    expect(await handshake('exact.gatehouse.test')).toBe(true);
    expect(await handshake('wiki.listed.gatehouse.test')).toBe(true);
    expect(await handshake('git.listed.gatehouse.test')).toBe(true);
    expect(await handshake('other.listed.gatehouse.test')).toBe(false);
    expect(await handshake('deep.wiki.listed.gatehouse.test')).toBe(false);
    expect(
      issued()
        .filter((n) => n.endsWith('.listed.gatehouse.test'))
        .sort(),
    ).toEqual(['git.listed.gatehouse.test', 'wiki.listed.gatehouse.test']);
  });

  it('rate-limits new names per route: a long list cannot be issued all at once', async () => {
    const names = Array.from({ length: 14 }, (_, i) => `n${i}.many.gatehouse.test`);
    const res = await stack.request('POST', '/api/v1/routes', route('*.many.gatehouse.test', { tls_names: names }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const ok = [];
    for (const name of names) ok.push(await handshake(name));
    // route_names_per_minute defaults to 10
    expect(ok.filter(Boolean)).toHaveLength(10);
    expect(issued().filter((n) => n.endsWith('.many.gatehouse.test'))).toHaveLength(10);
    const metrics = await stack.server.caddy!.admin.request<string>('GET', '/metrics');
    expect(String(metrics.body)).toMatch(/gatehouse_tls_names_denied_total\{reason="rate_limit"\} [1-9]/);
    expect(String(metrics.body)).toMatch(/gatehouse_tls_names_denied_total\{reason="unlisted"\} [1-9]/);
  });

  it('refuses hostile tls_names with a field error and changes nothing', async () => {
    const before = await stack.request('GET', '/api/v1/routes?limit=100');
    const cases: [Record<string, unknown>, string][] = [
      [route('*.bad.gatehouse.test', { tls_names: ['evil.example.com'] }), 'tls_names.0'],
      [route('*.bad.gatehouse.test', { tls_names: ['a.b.bad.gatehouse.test'] }), 'tls_names.0'],
      [route('*.bad.gatehouse.test', { tls_names: ['*.bad.gatehouse.test'] }), 'tls_names.0'],
      [route('*.bad.gatehouse.test', { tls_names: ['a.bad.gatehouse.test', 'A.bad.gatehouse.test'] }), 'tls_names.1'],
      [route('*.bad.gatehouse.test', { tls_names: ['a b.bad.gatehouse.test'] }), 'tls_names.0'],
      [route('exact2.gatehouse.test', { tls_names: ['x.gatehouse.test'] }), 'tls_names'],
      [
        route('*.bad.gatehouse.test', {
          tls_names: Array.from({ length: 101 }, (_, i) => `n${i}.bad.gatehouse.test`),
        }),
        'tls_names',
      ],
      [route('*.bad.gatehouse.test', { tls_names: ['x'.repeat(300)] }), 'tls_names.0'],
      [route('*.bad.gatehouse.test', { tls_names: 'a.bad.gatehouse.test' }), 'tls_names'],
    ];
    for (const [body, field] of cases) {
      const res = await stack.request('POST', '/api/v1/routes', body);
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      const fields = (res.body.error?.fields ?? []) as { field: string }[];
      expect(
        fields.map((f) => f.field),
        JSON.stringify(res.body),
      ).toContain(field);
    }
    const after = await stack.request('GET', '/api/v1/routes?limit=100');
    expect(after.body).toEqual(before.body);
  });
});
