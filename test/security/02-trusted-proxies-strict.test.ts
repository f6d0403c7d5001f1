// Issue 13, item 2: with GATEHOUSE_TRUSTED_PROXIES set, a client behind a trusted proxy must not choose its
// address by forging the leftmost X-Forwarded-For entry. Caddy reads the header right to left and stops at
// the first hop that is not a trusted proxy, for HTTP routes (peer ACL, IP whitelist, rate limit), route
// login (throttle and audit) and the API behind the public domain (audit).
// Real: the control plane in-process with the real Caddy binary and its internal CA, the REST API, libSQL.
// Simulated: the trusted proxy is a client bound to 127.0.0.200 that sends the X-Forwarded-For a proxy would
// (what its client claimed, then the address it saw); peers are 127.0.0.x addresses (VPN subnet 127.0.0.0/24,
// WireGuard off), as in test/integration/access-control-live.test.ts.
import { and, desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema/index.ts';
import { cookieValue, httpsRequest } from '../helpers/https-client.ts';
import { tcpServer } from '../helpers/net.ts';
import { type Stack, startStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait.ts';

const PROXY = '127.0.0.200';
const REAL_CLIENT = '127.0.0.50';
const PUBLIC_DOMAIN = 'gatehouse.proxied.test';
let stack: Stack;
let laptop: { id: number; address: string };
let upstreamPort: number;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  stack = await startStack({
    GATEHOUSE_WG_ADDRESS: '127.0.0.1/24',
    GATEHOUSE_TRUSTED_PROXIES: `${PROXY}/32`,
    GATEHOUSE_PUBLIC_DOMAIN: PUBLIC_DOMAIN,
  });
  const peer = await stack.request('POST', '/api/v1/peers', { name: 'laptop' });
  expect(peer.status, JSON.stringify(peer.body)).toBe(201);
  laptop = peer.body as { id: number; address: string };
  const upstream = await tcpServer((socket) => {
    socket.on('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'));
  });
  upstreamPort = upstream.port;
  closers.push(upstream.close);
});
afterAll(async () => {
  for (const close of closers) await close().catch(() => {});
  await stack?.stop();
});

async function httpRoute(domain: string, fields: Record<string, unknown>) {
  const res = await stack.request('POST', '/api/v1/routes', {
    domain,
    target_host: '127.0.0.1',
    target_port: upstreamPort,
    ...fields,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as number;
}

/** Through the trusted proxy: it appends the address it saw to whatever its client sent. */
const viaProxy = (forged: string, real = REAL_CLIENT) => ({
  from: PROXY,
  headers: { 'X-Forwarded-For': `${forged}, ${real}` },
});

async function lastAudit(action: string) {
  const [row] = await stack.server.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.action, action)))
    .orderBy(desc(auditLog.id))
    .limit(1);
  return row;
}

describe('a forged leftmost X-Forwarded-For from behind a trusted proxy', () => {
  it('does not pass a peer ACL; the address the proxy saw still does', async () => {
    await httpRoute('acl.proxied.test', { acl_enabled: true, acl_peers: [laptop.id] });
    expect((await httpsRequest(stack, 'acl.proxied.test', viaProxy(laptop.address))).status).toBe(403);
    // The proxy itself vouching for the laptop (the rightmost untrusted hop) is what trusted proxies are for.
    expect((await httpsRequest(stack, 'acl.proxied.test', viaProxy('203.0.113.1', laptop.address))).status).toBe(200);
    // Without the header the proxy's own address is the client: denied.
    expect((await httpsRequest(stack, 'acl.proxied.test', { from: PROXY })).status).toBe(403);
  });

  it('does not pass an IP whitelist', async () => {
    await httpRoute('white.proxied.test', {
      ip_filter_enabled: true,
      ip_filter_mode: 'whitelist',
      ip_filter_rules: [{ type: 'ip', value: '198.51.100.7' }],
    });
    expect((await httpsRequest(stack, 'white.proxied.test', viaProxy('198.51.100.7'))).status).toBe(403);
    expect((await httpsRequest(stack, 'white.proxied.test', viaProxy('1.1.1.1', '198.51.100.7'))).status).toBe(200);
  });

  it('does not reset a rate limit by rotating the forged entry', async () => {
    await httpRoute('limit.proxied.test', {
      rate_limit_enabled: true,
      rate_limit_requests: 2,
      rate_limit_window: '1m',
    });
    const statuses: number[] = [];
    for (let i = 1; i <= 4; i++) {
      statuses.push((await httpsRequest(stack, 'limit.proxied.test', viaProxy(`198.51.100.${i}`))).status);
    }
    expect(statuses).toEqual([200, 200, 429, 429]);
  });

  it('is not the address route login throttles and audits', async () => {
    await httpRoute('login.proxied.test', { auth_enabled: true, auth_password: 'a long shared password' });
    const page = await waitFor('the login page', async () => {
      const reply = await httpsRequest(stack, 'login.proxied.test', {
        path: '/.gatehouse/login',
        ...viaProxy('203.0.113.9'),
      });
      return reply.status === 200 ? reply : undefined;
    });
    const csrf = cookieValue(page, '__Host-gatehouse_csrf') ?? '';
    const failed = await httpsRequest(stack, 'login.proxied.test', {
      method: 'POST',
      path: '/.gatehouse/login',
      from: PROXY,
      headers: { 'X-Forwarded-For': `203.0.113.9, ${REAL_CLIENT}`, Cookie: `__Host-gatehouse_csrf=${csrf}` },
      form: { csrf, password: 'wrong', rd: '/' },
    });
    expect(failed.status).toBe(401);
    expect((await lastAudit('route_auth.failed'))?.ip).toBe(REAL_CLIENT);
  });

  it('is not the address the API audits (through the public domain)', async () => {
    const created = await waitFor(
      'the API on the public domain',
      async () => {
        const reply = await httpsRequest(stack, PUBLIC_DOMAIN, {
          method: 'POST',
          path: '/api/v1/peers',
          from: PROXY,
          headers: { 'X-Forwarded-For': `203.0.113.9, ${REAL_CLIENT}`, Authorization: `Bearer ${stack.token}` },
          json: { name: 'phone' },
        });
        return reply.status === 201 ? reply : undefined;
      },
      15_000,
      200,
    );
    expect(created.status).toBe(201);
    expect((await lastAudit('peer.create'))?.ip).toBe(REAL_CLIENT);
  });
});
