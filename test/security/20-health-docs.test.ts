// Issue 13 item 20: the public /healthz says up or down only; the details (database, Caddy, WireGuard, config
// versions) need a login; the API reference and the OpenAPI document follow the `api_docs_public` setting
// (default: login), which admins change through the settings API or the dashboard.
// Real: the Hono app (app.request), tokens, the admin login and session, the settings service and a temp-file
// libSQL database. Simulated: the server's health probe (a function the test controls) and the HTTP socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import type { HealthReport } from '../../src/http/types.ts';
import { bootstrapAdmin } from '../../src/services/admin/bootstrap.ts';
import { createToken } from '../../src/services/tokens/create.ts';
import { silentLogger, systemContext, testDb } from '../helpers/env.ts';

let db: Awaited<ReturnType<typeof testDb>>;
let app: ReturnType<typeof createApp>;
let report: HealthReport;
const tokens = { read: '', write: '', admin: '' };
let session = { cookie: '', csrf: '' };

const healthy = (): HealthReport => ({
  status: 'ok',
  db: { state: 'ok' },
  caddy: { state: 'running', pid: 4242, restarts: 0 },
  wireguard: { state: 'up', interface: 'wg0' },
  config: { version: 3, applied_version: 3, pending: false },
});

beforeAll(async () => {
  db = await testDb();
  report = healthy();
  app = createApp({
    db: db.db,
    config: db.config,
    logger: silentLogger,
    now: () => new Date(),
    health: async () => report,
  });
  for (const scope of ['read', 'write', 'admin'] as const) {
    tokens[scope] = (await createToken({ ctx: systemContext(db), input: { name: scope, scope } })).token;
  }
  await bootstrapAdmin({ ctx: systemContext(db) });
  const login = await app.request('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: db.config.admin.user, password: 'correct horse battery' }),
  });
  expect(login.status).toBe(200);
  session = {
    cookie: (login.headers.get('set-cookie') ?? '').split(';')[0]!,
    csrf: ((await login.json()) as { csrf_token: string }).csrf_token,
  };
});
afterAll(() => db.cleanup());

const get = (path: string, token?: string) =>
  app.request(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
const patchSettings = (token: string, body: unknown) =>
  app.request('/api/v1/settings', {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('health (issue 13 item 20)', () => {
  it('public /healthz says up or down and nothing else', async () => {
    report = healthy();
    const up = await get('/healthz');
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ status: 'ok' });

    report = { ...healthy(), status: 'degraded', db: { state: 'error', error: 'SQLITE_CANTOPEN: /secret/path.db' } };
    const down = await get('/healthz');
    expect(down.status).toBe(503);
    const text = await down.text();
    expect(JSON.parse(text)).toEqual({ status: 'down' });
    expect(text).not.toContain('/secret/path.db');
    report = healthy();
  });

  it('details need a token or an admin session', async () => {
    expect((await get('/api/v1/health')).status).toBe(401);
    const withToken = await get('/api/v1/health', tokens.read);
    expect(withToken.status).toBe(200);
    expect(await withToken.json()).toEqual(healthy());
    const withSession = await app.request('/api/v1/health', { headers: { cookie: session.cookie } });
    expect(withSession.status).toBe(200);

    report = { ...healthy(), status: 'degraded', caddy: { state: 'crashed', restarts: 3 } };
    const degraded = await get('/api/v1/health', tokens.read);
    expect(degraded.status).toBe(503);
    expect(await degraded.json()).toMatchObject({ status: 'degraded', caddy: { state: 'crashed' } });
    report = healthy();
  });
});

describe('API reference visibility (issue 13 item 20)', () => {
  it('needs a login by default, and the setting opens it to everyone', async () => {
    const settings = (await (await get('/api/v1/settings', tokens.admin)).json()) as Record<string, unknown>;
    expect(settings.api_docs_public).toBe(false);
    for (const path of ['/api/v1/docs', '/api/v1/openapi.json']) {
      expect((await get(path)).status, path).toBe(401);
      expect((await get(path, tokens.read)).status, path).toBe(200);
      expect((await app.request(path, { headers: { cookie: session.cookie } })).status, path).toBe(200);
    }

    expect((await patchSettings(tokens.admin, { api_docs_public: true })).status).toBe(200);
    expect((await get('/api/v1/docs')).status).toBe(200);
    expect((await get('/api/v1/openapi.json')).status).toBe(200);

    expect((await patchSettings(tokens.admin, { api_docs_public: false })).status).toBe(200);
    expect((await get('/api/v1/docs')).status).toBe(401);
  });

  it('only admins change it, and bad input names the field and changes nothing', async () => {
    expect((await patchSettings(tokens.write, { api_docs_public: true })).status).toBe(403);
    for (const body of [{ api_docs_public: 'yes' }, { api_docs_public: 1 }, { api_docs_public: null }]) {
      const res = await patchSettings(tokens.admin, body);
      expect(res.status).toBe(422);
      expect(await res.json()).toMatchObject({ error: { fields: [{ field: 'api_docs_public' }] } });
    }
    expect((await patchSettings(tokens.admin, {})).status).toBe(422);
    expect((await patchSettings(tokens.admin, { public_domain: 'evil.example' })).status).toBe(422);
    expect((await get('/api/v1/docs')).status).toBe(401);
  });

  it('the dashboard settings page toggles it (with the CSRF token)', async () => {
    const post = (fields: [string, string][]) =>
      app.request('/settings/api-docs', {
        method: 'POST',
        headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      });
    const page = await (await app.request('/settings', { headers: { cookie: session.cookie } })).text();
    expect(page).toContain('action="/settings/api-docs"');

    expect((await post([['api_docs_public', '1']])).status).toBe(403); // no CSRF token
    expect((await get('/api/v1/docs')).status).toBe(401);
    // A checkbox posts its value only when checked; the hidden "0" before it keeps the field present.
    const on: [string, string][] = [
      ['_csrf', session.csrf],
      ['api_docs_public', '0'],
      ['api_docs_public', '1'],
    ];
    expect((await post(on)).status).toBe(303);
    expect((await get('/api/v1/docs')).status).toBe(200);
    expect(
      (
        await post([
          ['_csrf', session.csrf],
          ['api_docs_public', '0'],
        ])
      ).status,
    ).toBe(303);
    expect((await get('/api/v1/docs')).status).toBe(401);
  });
});
