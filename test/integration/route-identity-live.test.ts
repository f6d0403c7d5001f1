// Issue 16, item 3 (part): a route policy's identity conditions are checked by the verify endpoint against the
// rule the data plane says decided, and the session's identity reaches the upstream as Remote-* headers.
// Real: the control plane in-process, the real Caddy binary (its explain answers), an upstream that echoes the
// request head. Simulated: the route session is opened directly in the database with the identity an OIDC
// route login stores (the login itself through a real provider: test/browser/route-oidc.test.ts and
// test/integration/route-oidc-login.test.ts).
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_SESSION_COOKIE } from '../../src/auth/route-cookies.ts';
import { sha256Hex } from '../../src/auth/secrets.ts';
import { routeAuthSessions } from '../../src/db/schema/index.ts';
import type { RouteSessionIdentity } from '../../src/db/schema/route-auth-sessions.ts';
import { findAuthRoute, startSession } from '../../src/services/route-auth/sessions.ts';
import { tcpServer } from '../helpers/net.ts';
import { httpsGet, type Stack, startStack } from '../helpers/stack.ts';

let stack: Stack;
let routeId = 0;
const closers: (() => Promise<void>)[] = [];
const HOST = 'staff.gatehouse.test';

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
    auth_password: 'a shared route password',
    policy: {
      rules: [{ action: 'allow', login: true, conditions: [{ type: 'group', values: ['staff'] }] }],
      default: 'deny',
    },
  });
  expect(route.status, JSON.stringify(route.body)).toBe(201);
  routeId = (route.body as { id: number }).id;
}, 120_000);
afterAll(async () => {
  for (const close of closers) await close().catch(() => {});
  await stack?.stop();
});

async function sessionFor(identity: RouteSessionIdentity | null): Promise<string> {
  const route = await findAuthRoute(stack.server.db, routeId);
  const { token } = await startSession(stack.server.db, {
    route: route!,
    userId: null,
    stage: 'active',
    ip: '127.0.0.1',
    userAgent: 'test',
    now: new Date(),
  });
  await stack.server.db
    .update(routeAuthSessions)
    .set({ identity })
    .where(eq(routeAuthSessions.id, sha256Hex(token)));
  return token;
}

const lines = (head: string, name: string) =>
  head
    .split('\r\n')
    .filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    .map((l) => l.slice(name.length + 1).trim());

describe('identity conditions after the route login', () => {
  it('lets a staff member through with Remote-* headers, never the ones the client sent', async () => {
    const token = await sessionFor({ subject: 's1', email: 'ann@example.com', name: 'Ann', groups: ['staff', 'ops'] });
    const res = await httpsGet(stack, HOST, '/', {
      Cookie: `${ROUTE_SESSION_COOKIE}=${token}`,
      'Remote-Email': 'root@example.com',
      'Remote-Groups': 'owners',
    });
    expect(res.status, res.body).toBe(200);
    expect(lines(res.body, 'Remote-User')).toEqual(['ann@example.com']);
    expect(lines(res.body, 'Remote-Email')).toEqual(['ann@example.com']);
    expect(lines(res.body, 'Remote-Name')).toEqual(['Ann']);
    expect(lines(res.body, 'Remote-Groups')).toEqual(['staff,ops']);
    expect(res.body).not.toContain(token);
  });

  it('refuses a session outside the group (403), and one without an identity (a password login)', async () => {
    const intern = await sessionFor({ subject: 's2', email: 'bob@example.com', name: 'Bob', groups: ['interns'] });
    const res = await httpsGet(stack, HOST, '/', { Cookie: `${ROUTE_SESSION_COOKIE}=${intern}` });
    expect(res.status).toBe(403);
    expect(res.body).not.toContain('Remote-');
    const password = await sessionFor(null);
    expect((await httpsGet(stack, HOST, '/', { Cookie: `${ROUTE_SESSION_COOKIE}=${password}` })).status).toBe(403);
  });
});
