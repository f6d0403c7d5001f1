// Issue 13, item 8: behind Caddy every client of the control plane used to be 127.0.0.1, so one attacker's
// failed logins locked the real admin out and audit rows showed 127.0.0.1. Caddy now tells the control plane
// the client's address in a header, together with a per-install secret; the control plane believes the header
// only with that secret and ignores it from anyone else (a local process, a client talking to it directly).
// Real: the control plane in-process with the real Caddy binary and its internal CA, the public-domain route
// to the dashboard/API, route login on a route's own domain, libSQL. Simulated: distinct clients are sockets
// bound to distinct 127.0.0.x source addresses.
import { statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { desc, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProxySecret, PROXY_SECRET_FILE } from '../../src/caddy/proxy-secret.ts';
import { auditLog } from '../../src/db/schema/index.ts';
import { clientOrigin } from '../../src/http/client.ts';
import { tempDir } from '../helpers/env.ts';
import { httpsRequest, startStackOnPublicDomain } from '../helpers/https-client.ts';
import type { Stack } from '../helpers/stack.ts';

const PUBLIC_DOMAIN = 'gatehouse.clients.test';
const PASSWORD = 'correct horse battery staple';
let stack: Stack;

beforeAll(async () => {
  stack = await startStackOnPublicDomain(PUBLIC_DOMAIN);
});
afterAll(async () => {
  await stack?.stop();
});

async function lastAudit(action: string) {
  const [row] = await stack.server.db
    .select()
    .from(auditLog)
    .where(eq(auditLog.action, action))
    .orderBy(desc(auditLog.id))
    .limit(1);
  return row;
}

const apiLogin = (from: string, password: string, headers: Record<string, string> = {}) =>
  httpsRequest(stack, PUBLIC_DOMAIN, {
    method: 'POST',
    path: '/api/v1/auth/login',
    from,
    headers,
    json: { username: 'admin', password },
  });

describe('through Caddy', () => {
  it('the audit log records the real client address, whatever address header the client sends', async () => {
    expect((await apiLogin('127.0.0.61', 'wrong password')).status).toBe(401);
    expect((await lastAudit('auth.login_failed'))?.ip).toBe('127.0.0.61');
    const forged = await apiLogin('127.0.0.64', 'wrong password', {
      'X-Gatehouse-Client-Ip': '198.51.100.78',
      'X-Gatehouse-Proxy-Secret': 'guessed',
    });
    expect(forged.status).toBe(401);
    expect((await lastAudit('auth.login_failed'))?.ip).toBe('127.0.0.64');
  });

  it('an attacker failing logins is throttled alone: another client still logs in', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await apiLogin('127.0.0.62', 'wrong password')).status);
    expect(statuses).toContain(429);
    const admin = await apiLogin('127.0.0.63', PASSWORD);
    expect(admin.status, admin.body).toBe(200);
    expect((await lastAudit('auth.login'))?.ip).toBe('127.0.0.63');
  });
});

describe('straight to the control plane (not through Caddy)', () => {
  it('an address header is ignored on the API login, with or without a guessed secret', async () => {
    for (const headers of <Record<string, string>[]>[
      { 'X-Gatehouse-Client-Ip': '198.51.100.77' },
      { 'X-Gatehouse-Client-Ip': '198.51.100.77', 'X-Gatehouse-Proxy-Secret': 'x'.repeat(43) },
    ]) {
      const res = await fetch(`${stack.server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ username: 'admin', password: 'wrong password' }),
      });
      expect(res.status).toBe(401);
      expect((await lastAudit('auth.login_failed'))?.ip).toBe('127.0.0.1');
    }
  });

  it('an address header is ignored on route login, even from a process on this host', async () => {
    const route = await stack.request('POST', '/api/v1/routes', {
      domain: 'login.clients.test',
      target_host: '127.0.0.1',
      target_port: 9,
      auth_enabled: true,
      auth_password: 'a long shared password',
    });
    expect(route.status, JSON.stringify(route.body)).toBe(201);
    const csrf = 'c'.repeat(32);
    const body = new URLSearchParams({ csrf, password: 'wrong', rd: '/' }).toString();
    // node:http, not fetch: fetch does not let a caller choose the Host header.
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        `${stack.server.url}/.gatehouse/login`,
        {
          method: 'POST',
          headers: {
            host: 'login.clients.test',
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': Buffer.byteLength(body),
            cookie: `__Host-gatehouse_csrf=${csrf}`,
            'x-gatehouse-route': String(route.body.id),
            'x-gatehouse-client-ip': '198.51.100.79',
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(401);
    expect((await lastAudit('route_auth.failed'))?.ip).toBe('127.0.0.1');
  });
});

describe('the per-install secret', () => {
  it('lives in a 0600 file in the data dir and survives a restart (an adopted Caddy still matches)', () => {
    const file = path.join(stack.dir, PROXY_SECRET_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadProxySecret(stack.dir)).toBe(loadProxySecret(stack.dir));
  });

  it('is created when missing and replaced when the file holds something else', () => {
    const { dir, cleanup } = tempDir('gatehouse-proxy-secret-');
    try {
      const first = loadProxySecret(dir);
      expect(first).toMatch(/^[\w-]{43}$/);
      expect(loadProxySecret(dir)).toBe(first);
      writeFileSync(path.join(dir, PROXY_SECRET_FILE), 'short{env.HOME}\n', { mode: 0o644 });
      const replaced = loadProxySecret(dir);
      expect(replaced).toMatch(/^[\w-]{43}$/);
      expect(statSync(path.join(dir, PROXY_SECRET_FILE)).mode & 0o777).toBe(0o600);
    } finally {
      cleanup();
    }
  });
});

describe('which headers are believed (hostile values)', () => {
  const SECRET = 's'.repeat(43);
  const app = new Hono().get('/', (c) => c.json(clientOrigin(c, SECRET)));
  const origin = async (headers: Record<string, string>) =>
    (await (await app.request('/', { headers })).json()) as { ip?: string; https: boolean; viaCaddy: boolean };
  const claimed = { 'X-Gatehouse-Client-Ip': '198.51.100.5', 'X-Gatehouse-Proto': 'https' };

  it('nothing without the exact secret: wrong, shorter, longer, empty, differently cased', async () => {
    for (const secret of ['', 's', 'S'.repeat(43), `${SECRET}x`, SECRET.slice(1)]) {
      expect(await origin({ ...claimed, 'X-Gatehouse-Proxy-Secret': secret }), JSON.stringify(secret)).toEqual({
        https: false,
        viaCaddy: false,
      });
    }
  });

  it('with the secret: only a well-formed address is taken, IPv4-mapped IPv6 as IPv4, only "https" is https', async () => {
    const via = (headers: Record<string, string>) => origin({ 'X-Gatehouse-Proxy-Secret': SECRET, ...headers });
    expect(await via(claimed)).toEqual({ ip: '198.51.100.5', https: true, viaCaddy: true });
    expect((await via({ 'X-Gatehouse-Client-Ip': '::ffff:203.0.113.9' })).ip).toBe('203.0.113.9');
    expect((await via({ 'X-Gatehouse-Client-Ip': '2001:DB8::1' })).ip).toBe('2001:db8::1');
    for (const bad of [
      '',
      'unknown',
      '1.2.3.4, 5.6.7.8',
      '[::1]',
      'fe80::1%eth0',
      '1.2.3.4:80',
      `1.${'1'.repeat(60)}`,
    ]) {
      expect((await via({ 'X-Gatehouse-Client-Ip': bad })).ip, bad).toBeUndefined();
    }
    for (const proto of ['http', 'HTTPS', 'https,https', 'ftp', '']) {
      expect((await via({ 'X-Gatehouse-Proto': proto })).https, proto).toBe(false);
    }
  });

  it('without a configured secret nothing is believed, whatever is sent', async () => {
    const open = new Hono().get('/', (c) => c.json(clientOrigin(c, undefined)));
    const res = await open.request('/', { headers: { ...claimed, 'X-Gatehouse-Proxy-Secret': '' } });
    expect(await res.json()).toEqual({ https: false, viaCaddy: false });
  });
});
