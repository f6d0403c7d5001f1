// Real: the Hono app (app.request), the service verbs, a libSQL temp-file database, the dashboard with a real
// admin session. Simulated: the clock and the HTTP socket (app.request instead of a listening server).
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, routeAuthUsers } from '../../src/db/schema/index.ts';
import { bootstrapAdmin } from '../../src/services/admin/bootstrap.ts';
import { auditDiff } from '../../src/services/audit/diff.ts';
import { recordAudit } from '../../src/services/audit/record.ts';
import { REDACTED } from '../../src/services/audit/redact.ts';
import { ADMIN, browser } from '../helpers/admin-login.ts';
import { systemContext, testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let clock = Date.parse('2026-11-21T12:00:00Z');
const now = () => new Date(clock);

beforeAll(async () => {
  env = await testApp({ now });
});
afterAll(() => env.cleanup());

type Page = {
  data: { id: number; action: string; actor: string; before: unknown; after: unknown; changes: unknown[] }[];
  pagination: { total: number; limit: number; offset: number };
};

describe('audit entries never hold secrets', () => {
  it('redacts password hashes, private keys, token hashes and TOTP secrets at any depth, keeping counts', async () => {
    const secrets = ['$argon2id$v=19$hash', 'cHJpdmF0ZSBrZXkgYnl0ZXM=', 'a1b2c3tokenhash', 'JBSWY3DPEHPK3PXP'];
    await env.db.transaction((tx) =>
      recordAudit({
        ctx: systemContext(env, now),
        tx,
        input: {
          action: 'test.secrets',
          resourceType: 'test',
          resourceId: 1,
          before: { passwordHash: secrets[0], nested: { private_key: secrets[1] } },
          after: {
            token_hash: secrets[2],
            users: [{ totpSecret: secrets[3], name: 'kept' }],
            recovery_codes: 10,
            smtp_password: 'hunter2hunter2',
          },
        },
      }),
    );
    const [row] = await env.db.select().from(auditLog).where(eq(auditLog.action, 'test.secrets'));
    const stored = JSON.stringify(row);
    for (const s of [...secrets, 'hunter2hunter2']) expect(stored).not.toContain(s);
    expect(row!.after).toMatchObject({ token_hash: REDACTED, users: [{ totpSecret: REDACTED, name: 'kept' }] });
    expect((row!.after as { recovery_codes: number }).recovery_codes).toBe(10);
  });

  it('a route user created and given a new password leaves neither hash nor TOTP secret in the audit log', async () => {
    const token = await env.tokenFor('admin');
    const route = await env.call('POST', '/api/v1/routes', {
      token,
      body: { domain: 'audit.example.com', target_host: '10.0.0.5', target_port: 80 },
    });
    const routeId = ((await route.json()) as { id: number }).id;
    const user = await env.call('POST', `/api/v1/routes/${routeId}/auth-users`, {
      token,
      body: { username: 'alice', password: 'alice has a long password' },
    });
    expect(user.status, await user.clone().text()).toBe(201);
    const userId = ((await user.json()) as { id: number }).id;
    const pw = await env.call('PUT', `/api/v1/routes/${routeId}/auth-users/${userId}`, {
      token,
      body: { password: 'a different long password' },
    });
    expect(pw.status, await pw.clone().text()).toBe(200);
    const totp = await env.call('POST', `/api/v1/routes/${routeId}/auth-users/${userId}/totp`, { token });
    expect(totp.status, await totp.clone().text()).toBe(200);
    const entries = await env.db.select().from(auditLog).where(eq(auditLog.action, 'route_auth.user_password'));
    expect(entries[0]!.before, 'the change carries the state before it').toBeTruthy();
    const [stored] = await env.db.select().from(routeAuthUsers).where(eq(routeAuthUsers.id, userId));
    const all = JSON.stringify(await env.db.select().from(auditLog));
    expect(all).not.toContain(stored!.passwordHash);
    expect(stored!.totpSecret).toBeTruthy();
    expect(all).not.toContain(stored!.totpSecret);
    const api = await (await env.call('GET', '/api/v1/audit?resource_type=route', { token })).text();
    expect(api).not.toContain(stored!.passwordHash);
    expect(api).not.toContain('alice has a long password');
  });
});

describe('GET /api/v1/audit', () => {
  it('filters by resource type, resource id, actor, action and time, and pages', async () => {
    const token = await env.tokenFor('admin');
    clock = Date.parse('2026-11-22T08:00:00Z');
    for (const v of [true, false, true]) {
      clock += 60_000;
      expect((await env.call('PATCH', '/api/v1/settings', { token, body: { api_docs_public: v } })).status).toBe(200);
    }
    const all = (await (await env.call('GET', '/api/v1/audit?resource_type=settings', { token })).json()) as Page;
    expect(all.pagination.total).toBe(3);
    expect(all.data[0]!.changes).toEqual([{ field: 'api_docs_public', before: false, after: true }]);
    const actor = all.data[0]!.actor;
    expect(actor).toMatch(/^token:\d+$/);

    const paged = (await (
      await env.call('GET', '/api/v1/audit?resource_type=settings&limit=2&offset=2', { token })
    ).json()) as Page;
    expect(paged.data).toHaveLength(1);
    expect(paged.pagination).toEqual({ total: 3, limit: 2, offset: 2 });

    const windowed = (await (
      await env.call(
        'GET',
        `/api/v1/audit?action=settings.update&actor=${actor}&since=2026-11-22T08:01:30Z&until=2026-11-22T08:03:00Z`,
        { token },
      )
    ).json()) as Page;
    expect(windowed.data.map((e) => e.action)).toEqual(['settings.update', 'settings.update']);

    const byId = (await (
      await env.call('GET', `/api/v1/audit?resource_type=test&resource_id=1`, { token })
    ).json()) as Page;
    expect(byId.data.map((e) => e.action)).toEqual(['test.secrets']);
  });

  it('refuses hostile filters with the field named, and needs the admin scope', async () => {
    const token = await env.tokenFor('admin');
    const cases: [string, string][] = [
      ['resource_type=route%27%20or%201%3D1', 'resource_type'],
      [`actor=${'a'.repeat(500)}`, 'actor'],
      ['since=yesterday', 'since'],
      ['since=2026-11-23T00:00:00Z&until=2026-11-22T00:00:00Z', 'since'],
      ['limit=100000', 'limit'],
      ['offset=-1', 'offset'],
    ];
    for (const [query, field] of cases) {
      const res = await env.call('GET', `/api/v1/audit?${query}`, { token });
      expect(res.status, query).toBe(422);
      const body = (await res.json()) as { error: { fields: { field: string }[] } };
      expect(
        body.error.fields.map((f) => f.field),
        query,
      ).toContain(field);
    }
    const read = await env.tokenFor('read');
    expect((await env.call('GET', '/api/v1/audit', { token: read })).status).toBe(403);
    expect((await env.call('GET', '/api/v1/audit')).status).toBe(401);
  });
});

describe('the dashboard audit page', () => {
  it('shows who changed what with the before/after of each field, filtered', async () => {
    await bootstrapAdmin({ ctx: systemContext(env, now) });
    const b = browser(env, '198.51.100.7');
    expect((await b.password(ADMIN.password)).status).toBe(303);
    const res = await b.request('GET', '/audit?resource_type=settings');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('settings.update');
    expect(html).toContain('<code>api_docs_public</code>');
    expect(html).toMatch(/class="before"><code>false<\/code>/);
    expect(html).toMatch(/class="after"><code>true<\/code>/);
    expect(html).not.toContain('test.secrets');
    const bad = await b.request('GET', '/audit?since=not-a-time');
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('since must be an ISO-8601 time');
  });
});

describe('auditDiff', () => {
  it('lists changed fields only, nested by path, with creates and deletes', () => {
    expect(auditDiff({ a: 1, b: { c: [1], d: 'x' } }, { a: 1, b: { c: [1, 2], d: 'x' }, e: null })).toEqual([
      { field: 'b.c', before: [1], after: [1, 2] },
      { field: 'e', before: undefined, after: null },
    ]);
    expect(auditDiff(null, { name: 'n' })).toEqual([{ field: 'name', before: undefined, after: 'n' }]);
    expect(auditDiff({ name: 'n' }, null)).toEqual([{ field: 'name', before: 'n', after: undefined }]);
  });
});
