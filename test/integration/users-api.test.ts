// Issue 16 (administrators): several admin users over /api/v1/users — invite (one-time link with expiry, the
// invitee sets the password), change role, disable, delete — with the owner rules (only an owner touches
// owners; at least one enabled owner remains, enforced in the transaction) and hostile values for every field.
// Real: the Hono app (app.request), the services, a temp-file libSQL database. Simulated: the clock, the socket.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminRole } from '../../src/auth/roles.ts';
import { adminInvites, adminUsers, auditLog } from '../../src/db/schema/index.ts';
import { updateUser } from '../../src/services/users/update.ts';
import { as, PASSWORD, type TestUser, usersOfEveryRole } from '../helpers/admin-users.ts';
import { testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let users: Record<AdminRole, TestUser>;
let clock = Date.now();

beforeAll(async () => {
  env = await testApp({ now: () => new Date(clock) });
  users = await usersOfEveryRole(env);
}, 120_000);
afterAll(() => env.cleanup());

const owner = () => as(env, users.owner.session);
const admin = () => as(env, users.admin.session);
type Body = { error: { code: string; message: string; fields?: { field: string; message: string }[] } };
const tokenOf = (url: string) => url.split('/').pop()!;

describe('/api/v1/users', () => {
  it('invites a user: the link works once, sets the password, and then the user logs in with their role', async () => {
    const res = await admin()('POST', '/api/v1/users', {
      username: ' Carol ',
      role: 'operator',
      email: 'Carol@Example.COM',
    });
    expect(res.status).toBe(201);
    const invited = (await res.json()) as {
      id: number;
      username: string;
      email: string;
      status: string;
      invite_url: string;
    };
    expect(invited).toMatchObject({ username: 'carol', email: 'carol@example.com', status: 'invited' });
    expect(invited.invite_url).toMatch(/^http:\/\/localhost\/login\/invite\/[A-Za-z0-9_-]{43}$/);
    const [stored] = await env.db.select().from(adminInvites).where(eq(adminInvites.userId, invited.id));
    expect(JSON.stringify(stored)).not.toContain(tokenOf(invited.invite_url));

    // No password yet: nobody can log in as the invitee.
    const before = await env.call('POST', '/api/v1/auth/login', {
      body: { username: 'carol', password: '' + PASSWORD },
    });
    expect(before.status).toBe(401);
    const accept = { token: tokenOf(invited.invite_url), password: 'a long new password' };
    expect((await env.call('POST', '/api/v1/auth/invite', { body: accept })).status).toBe(200);
    const again = await env.call('POST', '/api/v1/auth/invite', { body: { ...accept, password: 'another password!' } });
    expect(again.status).toBe(401);
    const login = await env.call('POST', '/api/v1/auth/login', {
      body: { username: 'CAROL', password: accept.password },
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const me = await env.call('GET', '/api/v1/me', { headers: { cookie } });
    expect(await me.json()).toMatchObject({ actor: { kind: 'admin', username: 'carol', role: 'operator' } });
  });

  it('refuses an expired invite, and a new link replaces the old one', async () => {
    const res = await admin()('POST', '/api/v1/users', { username: 'dave', role: 'viewer', expires_in_hours: 1 });
    const invited = (await res.json()) as { id: number; invite_url: string };
    clock += 61 * 60 * 1000;
    const late = await env.call('POST', '/api/v1/auth/invite', {
      body: { token: tokenOf(invited.invite_url), password: 'a long new password' },
    });
    expect(late.status).toBe(401);
    expect(((await late.json()) as Body).error.message).toContain('expired');
    const fresh = (await (await admin()('POST', `/api/v1/users/${invited.id}/invite`)).json()) as {
      invite_url: string;
    };
    expect(fresh.invite_url).not.toBe(invited.invite_url);
    const ok = await env.call('POST', '/api/v1/auth/invite', {
      body: { token: tokenOf(fresh.invite_url), password: 'a long new password' },
    });
    expect(ok.status).toBe(200);
    expect((await admin()('POST', `/api/v1/users/${invited.id}/invite`)).status).toBe(409);
  });

  it.each([
    ['username', { username: '', role: 'viewer' }],
    ['username', { username: '   ', role: 'viewer' }],
    ['username', { username: 'a'.repeat(65), role: 'viewer' }],
    ['username', { username: 'x'.repeat(100_000), role: 'viewer' }],
    ['username', { username: 'ålice', role: 'viewer' }],
    ['username', { username: 'al ice', role: 'viewer' }],
    ['username', { username: '-alice', role: 'viewer' }],
    ['username', { username: 'alice\u0000', role: 'viewer' }],
    ['username', { username: 'ali\u202ece', role: 'viewer' }],
    ['username', { username: 'ＡＬＩＣＥ', role: 'viewer' }],
    ['username', { username: 'THE-VIEWER', role: 'viewer' }],
    ['role', { username: 'erin', role: 'Owner' }],
    ['role', { username: 'erin', role: 'root' }],
    ['role', { username: 'erin', role: 'owner ' }],
    ['role', { username: 'erin', role: '' }],
    ['email', { username: 'erin', role: 'viewer', email: 'x' }],
    ['email', { username: 'erin', role: 'viewer', email: 'a@b' }],
    ['email', { username: 'erin', role: 'viewer', email: 'ä@example.com' }],
    ['email', { username: 'erin', role: 'viewer', email: 'a@exämple.com' }],
    ['email', { username: 'erin', role: 'viewer', email: 'a@example.com\nBcc: x@y.z' }],
    ['email', { username: 'erin', role: 'viewer', email: `${'a'.repeat(250)}@example.com` }],
    ['expires_in_hours', { username: 'erin', role: 'viewer', expires_in_hours: 0 }],
    ['expires_in_hours', { username: 'erin', role: 'viewer', expires_in_hours: 169 }],
    ['expires_in_hours', { username: 'erin', role: 'viewer', expires_in_hours: 1.5 }],
    ['expires_in_hours', { username: 'erin', role: 'viewer', expires_in_hours: '72' }],
  ])('refuses a bad %s with a field error and creates nothing (%j)', async (field, body) => {
    const count = (await env.db.select().from(adminUsers)).length;
    const res = await admin()('POST', '/api/v1/users', body);
    expect(res.status === 422 || res.status === 413).toBe(true);
    if (res.status === 422) expect(((await res.json()) as Body).error.fields?.map((f) => f.field)).toContain(field);
    expect((await env.db.select().from(adminUsers)).length).toBe(count);
  });

  it.each([
    ['', 'a long new password'],
    ['short', 'a long new password'],
    ['A'.repeat(44), 'a long new password'],
    ['ä'.repeat(43), 'a long new password'],
    ['../../etc/passwd'.padEnd(43, 'x'), 'a long new password'],
  ])('refuses a malformed invite token %j', async (token, password) => {
    const res = await env.call('POST', '/api/v1/auth/invite', { body: { token, password } });
    expect(res.status).toBe(422);
  });

  it('refuses a weak password on accept and keeps the invite open', async () => {
    const invited = (await (await admin()('POST', '/api/v1/users', { username: 'frank', role: 'viewer' })).json()) as {
      invite_url: string;
    };
    const token = tokenOf(invited.invite_url);
    for (const password of ['short', ' leading space pw', 'tab\tinside password'])
      expect((await env.call('POST', '/api/v1/auth/invite', { body: { token, password } })).status).toBe(422);
    expect(
      (await env.call('POST', '/api/v1/auth/invite', { body: { token, password: 'a long new password' } })).status,
    ).toBe(200);
  });

  it('lets only an owner make or change an owner', async () => {
    const made = await admin()('POST', '/api/v1/users', { username: 'grace', role: 'owner' });
    expect(made.status).toBe(403);
    expect((await admin()('PATCH', `/api/v1/users/${users.owner.id}`, { role: 'viewer' })).status).toBe(403);
    expect((await admin()('DELETE', `/api/v1/users/${users.owner.id}`)).status).toBe(403);
    expect((await admin()('PATCH', `/api/v1/users/${users.operator.id}`, { role: 'owner' })).status).toBe(403);
    expect((await admin()('PATCH', `/api/v1/users/${users.viewer.id}`, { role: 'operator' })).status).toBe(200);
    expect((await admin()('PATCH', `/api/v1/users/${users.viewer.id}`, { role: 'viewer' })).status).toBe(200);
  });

  it('keeps at least one enabled owner: the last one cannot be demoted, disabled or deleted', async () => {
    const self = owner();
    const demote = await self('PATCH', `/api/v1/users/${users.owner.id}`, { role: 'admin' });
    expect(demote.status).toBe(409);
    expect(((await demote.json()) as Body).error.message).toContain('at least one enabled owner');
    const [row] = await env.db.select().from(adminUsers).where(eq(adminUsers.id, users.owner.id));
    expect(row!.role).toBe('owner');
    // An invited owner who has not set a password does not count.
    const second = (await (await self('POST', '/api/v1/users', { username: 'heidi', role: 'owner' })).json()) as {
      id: number;
    };
    expect((await self('PATCH', `/api/v1/users/${users.owner.id}`, { role: 'admin' })).status).toBe(409);
    // Two owners demoting each other at the same time: one wins, the other gets 409 (one write at a time).
    await env.db.update(adminUsers).set({ passwordHash: 'x' }).where(eq(adminUsers.id, second.id));
    const ownerCtx = users.owner.ctx;
    const heidiCtx = {
      ...ownerCtx,
      actor: { kind: 'admin' as const, id: second.id, username: 'heidi', role: 'owner' as const },
    };
    const results = await Promise.allSettled([
      updateUser({ ctx: ownerCtx, input: { id: second.id, role: 'admin' } }),
      updateUser({ ctx: heidiCtx, input: { id: users.owner.id, role: 'admin' } }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'conflict' } });
    const owners = await env.db.select().from(adminUsers).where(eq(adminUsers.role, 'owner'));
    expect(owners.length).toBeGreaterThanOrEqual(1);
  });

  it('disabling ends the user’s sessions at once; nobody disables or deletes themselves', async () => {
    const viewer = as(env, users.viewer.session);
    expect((await viewer('GET', '/api/v1/peers')).status).toBe(200);
    expect((await admin()('PATCH', `/api/v1/users/${users.viewer.id}`, { disabled: true })).status).toBe(200);
    expect((await viewer('GET', '/api/v1/peers')).status).toBe(401);
    const login = await env.call('POST', '/api/v1/auth/login', {
      body: { username: users.viewer.username, password: PASSWORD },
    });
    expect(login.status).toBe(401);
    expect((await admin()('PATCH', `/api/v1/users/${users.admin.id}`, { disabled: true })).status).toBe(403);
    expect((await admin()('DELETE', `/api/v1/users/${users.admin.id}`)).status).toBe(403);
    const audit = await env.db.select().from(auditLog).where(eq(auditLog.action, 'user.update'));
    expect(audit.every((e) => e.actorUser)).toBe(true);
  });
});
