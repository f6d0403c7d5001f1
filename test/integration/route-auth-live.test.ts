// Real: the control plane in-process with the real Caddy binary (caddy + caddy-l4 + gatehouse), HTTPS through
// Caddy with SNI and its internal CA, Caddy's forward-auth call to the control plane's verify endpoint, the
// login pages on the route's own domain, libSQL on a temp file, TOTP codes from otpauth, an upstream that
// echoes what it received, client sockets bound to 127.0.0.x (distinct client IPs for the throttle).
// Simulated: session expiry (the row's expires_at is moved into the past instead of waiting an hour).
import { and, eq } from 'drizzle-orm';
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, routeAuthSessions } from '../../src/db/schema/index.ts';
import { httpsRequest, type Reply } from '../helpers/https-client.ts';
import { tcpServer } from '../helpers/net.ts';
import { type Stack, startStack } from '../helpers/stack.ts';

let stack: Stack;
let upstreamPort: number;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  stack = await startStack();
  const upstream = await tcpServer((socket) => {
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString();
      if (!buf.includes('\r\n\r\n')) return;
      const body = JSON.stringify({ upstream: true, request: buf.split('\r\n\r\n')[0] });
      socket.end(
        `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
  });
  upstreamPort = upstream.port;
  closers.push(upstream.close);
});
afterAll(async () => {
  for (const close of closers) await close().catch(() => {});
  await stack?.stop();
});

/** One HTTPS request through Caddy (SNI + Host = `host`), from `from` (a 127.0.0.x address). */
const send = (host: string, opts: Parameters<typeof httpsRequest>[2] = {}) => httpsRequest(stack, host, opts);

const cookieValue = (reply: Reply, name: string) =>
  reply.setCookies
    .find((c) => c.startsWith(`${name}=`))
    ?.split(';')[0]
    ?.slice(name.length + 1);
const hiddenCsrf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
const upstreamSaw = (reply: Reply) => (JSON.parse(reply.body) as { request: string }).request;

async function authRoute(
  domain: string,
  fields: Record<string, unknown>,
  users: { username: string; password: string }[] = [],
) {
  const created = await stack.request('POST', '/api/v1/routes', {
    domain,
    target_host: '127.0.0.1',
    target_port: upstreamPort,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const secrets: Record<string, string> = {};
  for (const user of users) {
    const res = await stack.request('POST', `/api/v1/routes/${created.body.id}/auth-users`, user);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.totp.otpauth_uri).toMatch(/^otpauth:\/\/totp\//);
    expect(res.body.totp.qr_svg).toContain('<svg');
    secrets[user.username] = res.body.totp.secret;
  }
  const updated = await stack.request('PUT', `/api/v1/routes/${created.body.id}`, { auth_enabled: true, ...fields });
  expect(updated.status, JSON.stringify(updated.body)).toBe(200);
  expect(updated.body.data_plane).toBe('applied');
  expect(updated.body).not.toHaveProperty('auth_password');
  expect(JSON.stringify(updated.body)).not.toContain('argon2');
  return { id: updated.body.id as number, secrets };
}

/** The login form flow up to the password step; returns the cookies the browser holds afterwards. */
async function submitPassword(host: string, creds: { username?: string; password: string }, from?: string, rd = '/') {
  const page = await send(host, { path: `/.gatehouse/login?rd=${encodeURIComponent(rd)}`, from });
  expect(page.status).toBe(200);
  const csrfCookie = cookieValue(page, '__Host-gatehouse_csrf')!;
  const res = await send(host, {
    method: 'POST',
    path: '/.gatehouse/login',
    headers: { Cookie: `__Host-gatehouse_csrf=${csrfCookie}` },
    form: { csrf: hiddenCsrf(page.body), rd, username: creds.username ?? '', password: creds.password },
    from,
  });
  return { res, csrfCookie, csrf: hiddenCsrf(page.body) };
}

function code(secret: string, offsetSteps = 0) {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate({
    timestamp: Date.now() + offsetSteps * 30_000,
  });
}

describe('route auth through the real Caddy', () => {
  it('leaves a route without auth alone: no redirect, /.gatehouse/ belongs to the upstream', async () => {
    await stack.request('POST', '/api/v1/routes', {
      domain: 'open.auth.test',
      target_host: '127.0.0.1',
      target_port: upstreamPort,
    });
    const res = await send('open.auth.test', { path: '/.gatehouse/login' });
    expect(res.status).toBe(200);
    expect(upstreamSaw(res)).toMatch(/^GET \/\.gatehouse\/login /);
  });

  it('refuses auth without any credential, with field errors', async () => {
    const created = await stack.request('POST', '/api/v1/routes', {
      domain: 'nocreds.auth.test',
      target_host: '127.0.0.1',
      target_port: upstreamPort,
      auth_enabled: true,
    });
    expect(created.status).toBe(422);
    expect(created.body.error.fields).toEqual([expect.objectContaining({ field: 'auth_enabled' })]);
    const totp = await stack.request('POST', '/api/v1/routes', {
      domain: 'nocreds.auth.test',
      target_host: '127.0.0.1',
      target_port: upstreamPort,
      auth_enabled: true,
      auth_method: 'password_totp',
      auth_password: 'long enough secret',
    });
    expect(totp.status).toBe(422);
    expect(totp.body.error.fields).toEqual([expect.objectContaining({ field: 'auth_method' })]);
  });

  it('logs in with password then TOTP; the upstream gets Remote-User, never our cookie or forged identity headers', async () => {
    const host = 'totp.auth.test';
    const { secrets } = await authRoute(host, { auth_method: 'password_totp' }, [
      { username: 'alice', password: 'alice password 1' },
    ]);

    const first = await send(host, { path: '/dash?x=1' });
    expect(first.status).toBe(302);
    expect(first.headers.location).toBe('/.gatehouse/login?rd=%2Fdash%3Fx%3D1');

    const {
      res: afterPassword,
      csrfCookie,
      csrf,
    } = await submitPassword(host, { username: 'alice', password: 'alice password 1' }, undefined, '/dash?x=1');
    expect(afterPassword.status).toBe(303);
    expect(afterPassword.headers.location).toBe('/.gatehouse/totp?rd=%2Fdash%3Fx%3D1');
    const challenge = cookieValue(afterPassword, '__Host-gatehouse_auth')!;
    // The password alone is not a session.
    expect((await send(host, { headers: { Cookie: `__Host-gatehouse_auth=${challenge}` } })).status).toBe(302);

    const cookies = `__Host-gatehouse_csrf=${csrfCookie}; __Host-gatehouse_auth=${challenge}`;
    const totpPage = await send(host, { path: '/.gatehouse/totp?rd=%2Fdash%3Fx%3D1', headers: { Cookie: cookies } });
    expect(totpPage.status).toBe(200);
    expect(totpPage.body).toContain('name="code"');
    const done = await send(host, {
      method: 'POST',
      path: '/.gatehouse/totp',
      headers: { Cookie: cookies },
      form: { csrf, rd: '/dash?x=1', code: code(secrets.alice!) },
    });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe('/dash?x=1');
    const sessionCookie = done.setCookies.find((c) => c.startsWith('__Host-gatehouse_auth='))!;
    expect(sessionCookie).toMatch(/HttpOnly/);
    expect(sessionCookie).toMatch(/Secure/);
    expect(sessionCookie).toMatch(/SameSite=Lax/);
    expect(sessionCookie).toMatch(/Path=\//);
    expect(sessionCookie).toMatch(/Max-Age=86400/);
    const session = cookieValue(done, '__Host-gatehouse_auth')!;
    expect(session).not.toBe(challenge);

    const through = await send(host, {
      path: '/dash?x=1',
      headers: {
        Cookie: `theme=dark; __Host-gatehouse_auth=${session}; lang=en`,
        'Remote-User': 'admin',
        'X-Gatehouse-Route': '999',
        'X-Gatehouse-Client-Ip': '10.9.9.9',
      },
    });
    expect(through.status).toBe(200);
    const seen = upstreamSaw(through);
    expect(seen).toMatch(/^GET \/dash\?x=1 /);
    expect(seen).toMatch(/\r\nRemote-User: alice\r\n/i);
    expect(seen).not.toMatch(/admin/);
    expect(seen).toMatch(/\r\nCookie: theme=dark; lang=en(\r\n|$)/i);
    expect(seen).not.toContain('gatehouse_auth');
    expect(seen).not.toContain(session);
    expect(seen.toLowerCase()).not.toContain('x-gatehouse-');

    // A request that only carries our cookie reaches the upstream without any Cookie header at all.
    const onlyOurs = upstreamSaw(await send(host, { headers: { Cookie: `__Host-gatehouse_auth=${session}` } }));
    expect(onlyOurs.toLowerCase()).not.toContain('cookie:');

    const logout = await send(host, {
      method: 'POST',
      path: '/.gatehouse/logout',
      headers: { Cookie: `__Host-gatehouse_csrf=${csrfCookie}; __Host-gatehouse_auth=${session}` },
      form: { csrf },
    });
    expect(logout.status).toBe(303);
    expect((await send(host, { headers: { Cookie: `__Host-gatehouse_auth=${session}` } })).status).toBe(302);
  });

  it('refuses tampered and expired cookies, and a form post without the CSRF token', async () => {
    const host = 'cookies.auth.test';
    const { id } = await authRoute(host, { auth_password: 'shared password 1' });
    const { res } = await submitPassword(host, { password: 'shared password 1' });
    expect(res.status).toBe(303);
    const session = cookieValue(res, '__Host-gatehouse_auth')!;
    expect((await send(host, { headers: { Cookie: `__Host-gatehouse_auth=${session}` } })).status).toBe(200);

    const flipped = session.slice(0, -1) + (session.endsWith('A') ? 'B' : 'A');
    expect((await send(host, { headers: { Cookie: `__Host-gatehouse_auth=${flipped}` } })).status).toBe(302);

    await stack.server.db
      .update(routeAuthSessions)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(routeAuthSessions.routeId, id));
    expect((await send(host, { headers: { Cookie: `__Host-gatehouse_auth=${session}` } })).status).toBe(302);
    expect(
      await stack.server.db.select().from(routeAuthSessions).where(eq(routeAuthSessions.routeId, id)),
    ).toHaveLength(0);

    const noCsrf = await send(host, {
      method: 'POST',
      path: '/.gatehouse/login',
      form: { password: 'shared password 1', rd: '/' },
    });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.setCookies.some((c) => c.startsWith('__Host-gatehouse_auth='))).toBe(false);
  });

  it('basic auth: 401 challenge, then the same credentials; Authorization and forged Remote-User never reach the upstream', async () => {
    const host = 'basic.auth.test';
    await authRoute(host, { basic_auth_enabled: true, auth_password: 'shared password 2' }, [
      { username: 'bob', password: 'bob password 12' },
    ]);
    const none = await send(host);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic realm="basic\.auth\.test"/);
    const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
    expect((await send(host, { headers: { Authorization: basic('bob', 'wrong') } })).status).toBe(401);

    const asBob = await send(host, {
      headers: { Authorization: basic('bob', 'bob password 12'), 'Remote-User': 'root' },
    });
    expect(asBob.status).toBe(200);
    const seen = upstreamSaw(asBob);
    expect(seen).toMatch(/\r\nRemote-User: bob\r\n/i);
    expect(seen.toLowerCase()).not.toContain('authorization');
    expect(seen).not.toContain('root');

    const shared = await send(host, {
      headers: { Authorization: basic('anyone', 'shared password 2'), 'Remote-User': 'root' },
    });
    expect(shared.status).toBe(200);
    expect(upstreamSaw(shared).toLowerCase()).not.toContain('remote-user');
    // No login page on a basic-auth route.
    expect((await send(host, { path: '/.gatehouse/login' })).status).toBe(404);
  });

  it('slows brute force per client IP with exponential backoff (429 + Retry-After), and audit-logs every failure', async () => {
    const host = 'brute.auth.test';
    const { id } = await authRoute(host, { auth_password: 'shared password 3' });
    const from = '127.0.0.3';
    for (let i = 0; i < 6; i++)
      expect((await submitPassword(host, { password: `guess ${i}` }, from)).res.status).toBe(401);
    const blocked = await submitPassword(host, { password: 'shared password 3' }, from);
    expect(blocked.res.status).toBe(429);
    expect(blocked.res.headers['retry-after']).toBe('1');
    // Another client is not affected.
    expect((await submitPassword(host, { password: 'shared password 3' }, '127.0.0.5')).res.status).toBe(303);

    await new Promise((r) => setTimeout(r, 1100));
    expect((await submitPassword(host, { password: 'guess 7' }, from)).res.status).toBe(401);
    const longer = await submitPassword(host, { password: 'shared password 3' }, from);
    expect(longer.res.status).toBe(429);
    expect(longer.res.headers['retry-after']).toBe('2');

    const failures = await stack.server.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'route_auth.failed'), eq(auditLog.resourceId, String(id))));
    expect(failures).toHaveLength(7);
    expect(failures.every((f) => f.ip === from)).toBe(true);
  });

  it('kills a TOTP challenge after 5 wrong codes: even the right code is refused afterwards', async () => {
    const host = 'dead.auth.test';
    const { id, secrets } = await authRoute(host, { auth_method: 'password_totp' }, [
      { username: 'carol', password: 'carol password 1' },
    ]);
    const from = '127.0.0.4';
    const { res, csrfCookie, csrf } = await submitPassword(
      host,
      { username: 'carol', password: 'carol password 1' },
      from,
    );
    expect(res.status).toBe(303);
    const cookies = `__Host-gatehouse_csrf=${csrfCookie}; __Host-gatehouse_auth=${cookieValue(res, '__Host-gatehouse_auth')}`;
    const right = code(secrets.carol!);
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    for (let i = 1; i <= 4; i++) {
      const r = await send(host, {
        method: 'POST',
        path: '/.gatehouse/totp',
        headers: { Cookie: cookies },
        form: { csrf, rd: '/', code: wrong },
        from,
      });
      expect(r.status).toBe(401);
      expect(r.body).toContain(`${5 - i} tr`);
    }
    const fifth = await send(host, {
      method: 'POST',
      path: '/.gatehouse/totp',
      headers: { Cookie: cookies },
      form: { csrf, rd: '/', code: wrong },
      from,
    });
    expect(fifth.status).toBe(401);
    expect(fifth.body).toContain('Too many wrong codes');
    expect(fifth.setCookies.some((c) => c.startsWith('__Host-gatehouse_auth=;'))).toBe(true);
    expect(
      await stack.server.db.select().from(routeAuthSessions).where(eq(routeAuthSessions.routeId, id)),
    ).toHaveLength(0);

    const late = await send(host, {
      method: 'POST',
      path: '/.gatehouse/totp',
      headers: { Cookie: cookies },
      form: { csrf, rd: '/', code: right },
      from,
    });
    expect(late.status).toBe(303);
    expect(late.headers.location).toMatch(/^\/\.gatehouse\/login/);
    expect((await send(host, { headers: { Cookie: cookies }, from })).status).toBe(302);
  });
  it('auth users API: secrets only at creation, write-only shared password, no way to lock a route with auth', async () => {
    const { id } = await authRoute('users.auth.test', { auth_method: 'password_totp' }, [
      { username: 'dave', password: 'dave password 1' },
    ]);
    const list = await stack.request('GET', `/api/v1/routes/${id}/auth-users`);
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([expect.objectContaining({ username: 'dave', totp_enrolled: true })]);
    expect(JSON.stringify(list.body)).not.toMatch(/secret|otpauth|argon2|password/);
    const userId = list.body.data[0].id as number;
    expect(
      (await stack.request('POST', `/api/v1/routes/${id}/auth-users`, { username: 'dave', password: 'another pass 1' }))
        .status,
    ).toBe(409);
    expect(
      (await stack.request('POST', `/api/v1/routes/${id}/auth-users`, { username: 'bad name', password: 'x' })).body
        .error.fields,
    ).toHaveLength(2);
    expect(
      (await stack.request('PUT', `/api/v1/routes/${id}/auth-users/${userId}`, { password: 'dave password 2' })).status,
    ).toBe(200);
    const rotated = await stack.request('POST', `/api/v1/routes/${id}/auth-users/${userId}/totp`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.totp.otpauth_uri).toContain('secret=');
    const last = await stack.request('DELETE', `/api/v1/routes/${id}/auth-users/${userId}`);
    expect(last.status).toBe(409);
    // Switch to a shared password: then the last user may go.
    const shared = await stack.request('PUT', `/api/v1/routes/${id}`, {
      auth_method: 'password',
      auth_password: 'shared password 9',
    });
    expect(shared.body.auth_password_set).toBe(true);
    expect(JSON.stringify(shared.body)).not.toContain('shared password 9');
    expect((await stack.request('DELETE', `/api/v1/routes/${id}/auth-users/${userId}`)).status).toBe(200);
    const cleared = await stack.request('PUT', `/api/v1/routes/${id}`, { auth_password: null });
    expect(cleared.status).toBe(422);
    expect(cleared.body.error.fields).toEqual([expect.objectContaining({ field: 'auth_enabled' })]);
    const l4 = await stack.request('POST', '/api/v1/routes', {
      type: 'l4',
      l4_listen_port: 45999,
      target_host: '127.0.0.1',
      target_port: 9,
      auth_enabled: true,
    });
    expect(l4.body.error.fields).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'auth_enabled' })]));
  });
});
