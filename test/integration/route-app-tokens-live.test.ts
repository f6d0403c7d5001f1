// Issue 16 (app tokens): a route with a login accepts an app token in its configured header, optionally only
// for given path prefixes, instead of the login; the rest of the policy (here an address filter) still applies;
// the token never reaches the upstream; hostile paths and values are refused.
// Real: the control plane in-process, the real Caddy binary (forward auth to the verify endpoint), TLS from
// Caddy's internal CA, an upstream that echoes the request head, clients on loopback. Simulated: nothing else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tcpServer } from '../helpers/net.ts';
import { httpsGet, type Stack, startStack } from '../helpers/stack.ts';

let stack: Stack;
const closers: (() => Promise<void>)[] = [];
const HOST = 'app.tokens.test';
let routeId = 0;

beforeAll(async () => {
  stack = await startStack();
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
    auth_enabled: true,
    auth_password: 'a shared route password',
  });
  expect(route.status, JSON.stringify(route.body)).toBe(201);
  routeId = Number(route.body.id);
}, 120_000);
afterAll(async () => {
  for (const close of closers) await close().catch(() => {});
  await stack?.stop();
});

const createToken = (body: Record<string, unknown>) =>
  stack.request('POST', `/api/v1/routes/${routeId}/app-tokens`, body);

describe('app tokens through the real Caddy', () => {
  it('lets a token in on its paths only, in its header only, and the upstream never sees it', async () => {
    const made = await createToken({ name: 'phone app', header: 'x-app-token', path_prefixes: ['/api'] });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.header).toBe('X-App-Token');
    const token = String(made.body.token);

    expect((await httpsGet(stack, HOST, '/api/items')).status).toBe(302);
    const ok = await httpsGet(stack, HOST, '/api/items', { 'X-App-Token': token });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatch(/^GET \/api\/items HTTP/);
    expect(ok.body.toLowerCase()).not.toContain(token.toLowerCase());
    expect(ok.body.toLowerCase()).not.toContain('x-app-token');
    expect(ok.body).toMatch(/remote-user: app:phone app/i);
    expect((await httpsGet(stack, HOST, '/api', { 'X-App-Token': `Bearer ${token}` })).status).toBe(200);

    for (const path of ['/', '/apix', '/api/../admin', '/api%2f..%2fadmin', '/api/..%2fadmin', '/API/items']) {
      const res = await httpsGet(stack, HOST, path, { 'X-App-Token': token });
      expect(res.status, path).not.toBe(200);
    }
    // The right token in another header, a forged one, or one of another route: no way in.
    expect((await httpsGet(stack, HOST, '/api/items', { 'X-Other-Token': token })).status).toBe(302);
    expect((await httpsGet(stack, HOST, '/api/items', { 'X-App-Token': `gha_${'A'.repeat(43)}` })).status).toBe(302);
    expect((await httpsGet(stack, HOST, '/api/items', { 'X-App-Token': 'x'.repeat(5000) })).status).toBe(302);

    const revoked = await stack.request('DELETE', `/api/v1/routes/${routeId}/app-tokens/${made.body.id}`);
    expect(revoked.status).toBe(200);
    expect((await httpsGet(stack, HOST, '/api/items', { 'X-App-Token': token })).status).toBe(302);
  });

  it('does not skip the rest of the policy: a blocked address stays blocked with a valid token', async () => {
    const made = await createToken({ name: 'script' });
    const token = String(made.body.token);
    expect((await httpsGet(stack, HOST, '/anything', { 'X-App-Token': token })).status).toBe(200);
    const blocked = await stack.request('PUT', `/api/v1/routes/${routeId}`, {
      ip_filter_enabled: true,
      ip_filter_mode: 'blacklist',
      ip_filter_rules: [{ type: 'ip', value: '127.0.0.1' }],
    });
    expect(blocked.status, JSON.stringify(blocked.body)).toBe(200);
    expect((await httpsGet(stack, HOST, '/anything', { 'X-App-Token': token })).status).toBe(403);
  });

  it('refuses hostile values at creation', async () => {
    for (const body of [
      { name: '' },
      { name: 'x', header: 'Cookie' },
      { name: 'x', header: 'authorization' },
      { name: 'x', header: 'Remote-User' },
      { name: 'x', header: 'X-Gatehouse-Route' },
      { name: 'x', header: 'X-Forwarded-For' },
      { name: 'x', header: 'bad header' },
      { name: 'x', header: 'x'.repeat(65) },
      { name: 'x', path_prefixes: ['api'] },
      { name: 'x', path_prefixes: ['/a/../b'] },
      { name: 'x', path_prefixes: ['//evil'] },
      { name: 'x', path_prefixes: ['/a b'] },
      { name: 'x', expires_at: '2000-01-01T00:00:00Z' },
      { name: 'x', extra: 1 },
    ]) {
      const res = await createToken(body);
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
  });
});
