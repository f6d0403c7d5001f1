// Real: the Hono app (app.request), service verbs, a libSQL temp-file database. Simulated: the clock (for
// expiry) and the HTTP socket (app.request instead of a listening server).
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/auth/secrets.ts';
import { apiTokens, auditLog } from '../../src/db/schema/index.ts';
import { testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let clock = Date.parse('2026-11-21T12:00:00Z');

beforeAll(async () => {
  env = await testApp({ now: () => new Date(clock) });
});
afterAll(() => env.cleanup());

describe('/api/v1/tokens', () => {
  it('creates a token that is shown once, stored as SHA-256 only, and works as a bearer token', async () => {
    const admin = await env.tokenFor('admin');
    const res = await env.call('POST', '/api/v1/tokens', { token: admin, body: { name: 'ci', scope: 'write' } });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: number; token: string; prefix: string; scope: string };
    expect(created.token).toMatch(/^gth_[A-Za-z0-9_-]{43}$/);
    expect(created.token.startsWith(created.prefix)).toBe(true);

    const [row] = await env.db.select().from(apiTokens).where(eq(apiTokens.id, created.id));
    expect(row!.tokenHash).toBe(sha256Hex(created.token));
    expect(JSON.stringify(row)).not.toContain(created.token);

    const me = await env.call('GET', '/api/v1/me', { token: created.token });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ actor: { kind: 'token', id: created.id, scope: 'write' } });

    const list = await env.call('GET', '/api/v1/tokens', { token: admin });
    const body = await list.text();
    expect(body).not.toContain(created.token);
    expect(body).not.toContain(row!.tokenHash);
    const [used] = await env.db.select().from(apiTokens).where(eq(apiTokens.id, created.id));
    expect(used!.lastUsedAt?.getTime()).toBe(clock);
  });

  it('revokes a token: it gets 401 at once, and the database keeps nothing that could authenticate', async () => {
    const admin = await env.tokenFor('admin');
    const victim = await env.tokenFor('read');
    expect((await env.call('GET', '/api/v1/me', { token: victim })).status).toBe(200);
    const [row] = await env.db
      .select()
      .from(apiTokens)
      .where(eq(apiTokens.tokenHash, sha256Hex(victim)));

    const res = await env.call('DELETE', `/api/v1/tokens/${row!.id}`, { token: admin });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { revoked_at: string }).revoked_at).toBeTruthy();
    const denied = await env.call('GET', '/api/v1/me', { token: victim });
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ error: { code: 'unauthorized' } });

    const [after] = await env.db.select().from(apiTokens).where(eq(apiTokens.id, row!.id));
    expect(after!.tokenHash).not.toBe(sha256Hex(victim));
    const audit = await env.db.select().from(auditLog).where(eq(auditLog.action, 'token.revoke'));
    expect(audit.some((a) => a.resourceId === String(row!.id))).toBe(true);
  });

  it('refuses an expired token with 401', async () => {
    const expiring = await env.tokenFor('read', { expires_at: new Date(clock + 60_000).toISOString() });
    expect((await env.call('GET', '/api/v1/me', { token: expiring })).status).toBe(200);
    clock += 61_000;
    const res = await env.call('GET', '/api/v1/me', { token: expiring });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('expired');
  });

  it.each([
    ['no credentials', undefined, 401],
    ['a malformed header', 'Basic abc', 401],
    ['an unknown token', 'Bearer gth_thisdoesnotexist', 401],
  ])('answers %s with 401 in the one error model', async (_label, header, status) => {
    const res = await env.call('GET', '/api/v1/tokens', { headers: header ? { authorization: header } : {} });
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { code: string; message: string; request_id: string } };
    expect(body.error.code).toBe('unauthorized');
    expect(body.error.request_id).toBe(res.headers.get('x-request-id'));
  });

  it('lets only admin-scope tokens manage tokens', async () => {
    for (const scope of ['read', 'write'] as const) {
      const token = await env.tokenFor(scope);
      const res = await env.call('POST', '/api/v1/tokens', { token, body: { name: 'x' } });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain('admin scope');
    }
  });

  it('validates input with field-level errors and writes nothing', async () => {
    const admin = await env.tokenFor('admin');
    const before = (await env.db.select().from(apiTokens)).length;
    const res = await env.call('POST', '/api/v1/tokens', {
      token: admin,
      body: { name: '', scope: 'root', expires_at: 'tomorrow', extra: 1 },
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { code: string; fields: { field: string }[] } };
    expect(body.error.code).toBe('validation_failed');
    const fields = body.error.fields.map((f) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['name', 'scope', 'expires_at']));
    expect((await env.db.select().from(apiTokens)).length).toBe(before);

    const notJson = await env.call('POST', '/api/v1/tokens', { token: admin, body: '{nope' });
    expect([400, 422]).toContain(notJson.status);
    expect((await env.db.select().from(apiTokens)).length).toBe(before);
  });

  it('answers 404 for revoking a token that does not exist', async () => {
    const admin = await env.tokenFor('admin');
    const res = await env.call('DELETE', '/api/v1/tokens/99999', { token: admin });
    expect(res.status).toBe(404);
  });
});

describe('OpenAPI', () => {
  it('serves an OpenAPI 3.1 document generated from the schemas, and a reference page', async () => {
    // The reference needs a login unless api_docs_public is on (test/security/20-health-docs.test.ts).
    const reader = await env.tokenFor('read');
    const res = await env.call('GET', '/api/v1/openapi.json', { token: reader });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/tokens',
        '/tokens/{id}',
        '/auth/login',
        '/auth/logout',
        '/gateway/events',
        '/gateway/status',
        '/routes',
        '/peers',
        '/gateways',
      ]),
    );
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['CreateToken', 'Token', 'Error']));
    const page = await env.call('GET', '/api/v1/docs', { token: reader });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/api/v1/tokens');
  });
});
