// Issue 16 (administrators): a token can never exceed its creator's role. Creation refuses a scope above the
// creator's role; a token of a user who is later demoted is cut to the new role at once; a disabled user's
// tokens stop (and work again when they are enabled); a deleted user's tokens are revoked.
// Real: the Hono app (app.request), the users, session and token services, a temp-file libSQL database.
// Simulated: the HTTP socket.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminRole } from '../../src/auth/roles.ts';
import { apiTokens, auditLog } from '../../src/db/schema/index.ts';
import { createToken } from '../../src/services/tokens/create.ts';
import { as, invitedUser, type TestUser, usersOfEveryRole } from '../helpers/admin-users.ts';
import { systemContext, testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let users: Record<AdminRole, TestUser>;

beforeAll(async () => {
  env = await testApp();
  users = await usersOfEveryRole(env);
}, 120_000);
afterAll(() => env.cleanup());

const message = async (res: Response) => ((await res.json()) as { error: { message: string } }).error.message;

describe('a token never exceeds its creator', () => {
  it('refuses to create a token with a scope above the creator’s role', async () => {
    await expect(
      createToken({ ctx: users.viewer.ctx, input: { name: 'too much', scope: 'write' } }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    await expect(
      createToken({ ctx: users.operator.ctx, input: { name: 'too much', scope: 'admin' } }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    // Through the API an operator cannot reach token creation at all.
    const res = await as(env, users.operator.session)('POST', '/api/v1/tokens', { name: 'x', scope: 'read' });
    expect(res.status).toBe(403);
  });

  it('a token made by a token belongs to the same user and is capped by them', async () => {
    const res = await as(env, users.admin.token)('POST', '/api/v1/tokens', { name: 'child', scope: 'admin' });
    expect(res.status).toBe(201);
    const child = (await res.json()) as { id: number };
    const [row] = await env.db.select().from(apiTokens).where(eq(apiTokens.id, child.id));
    expect(row!.createdBy).toBe(users.admin.id);
  });

  it('cuts a demoted creator’s tokens to the new role at once, and stops a disabled creator’s tokens', async () => {
    const id = await invitedUser(env, 'soon-demoted', 'admin');
    const ctx = {
      ...systemContext(env),
      actor: { kind: 'admin' as const, id, username: 'soon-demoted', role: 'admin' as const },
    };
    const { token } = await createToken({ ctx, input: { name: 'automation', scope: 'admin' } });
    const call = as(env, token);
    expect((await call('GET', '/api/v1/tokens')).status).toBe(200);
    expect((await call('POST', '/api/v1/peers', {})).status).not.toBe(403);

    const owner = as(env, users.owner.session);
    expect((await owner('PATCH', `/api/v1/users/${id}`, { role: 'viewer' })).status).toBe(200);
    const refused = await call('GET', '/api/v1/tokens');
    expect(refused.status).toBe(403);
    expect(await message(refused)).toContain('this token acts as viewer');
    expect((await call('POST', '/api/v1/peers', {})).status).toBe(403);
    expect((await call('GET', '/api/v1/peers')).status).toBe(200);
    const me = (await (await call('GET', '/api/v1/me')).json()) as { actor: { role: string; scope: string } };
    expect(me.actor).toMatchObject({ role: 'viewer', scope: 'admin' });

    expect((await owner('PATCH', `/api/v1/users/${id}`, { disabled: true })).status).toBe(200);
    const stopped = await call('GET', '/api/v1/peers');
    expect(stopped.status).toBe(401);
    expect(await message(stopped)).toContain('disabled');

    expect((await owner('PATCH', `/api/v1/users/${id}`, { disabled: false })).status).toBe(200);
    expect((await call('GET', '/api/v1/peers')).status).toBe(200);

    expect((await owner('DELETE', `/api/v1/users/${id}`)).status).toBe(200);
    expect((await call('GET', '/api/v1/peers')).status).toBe(401);
    const [row] = await env.db.select().from(apiTokens).where(eq(apiTokens.name, 'automation'));
    expect(row!.revokedAt).not.toBeNull();
  });

  it('names the user on the audit entries of their tokens and sessions', async () => {
    await as(env, users.operator.token)('POST', '/api/v1/peers', { name: 'audited-by-token' });
    const entries = await env.db.select().from(auditLog);
    const byToken = entries.filter((e) => e.actor.startsWith('token:') && e.action.startsWith('peer.'));
    expect(byToken.length).toBeGreaterThan(0);
    expect(byToken.every((e) => e.actorUser === users.operator.username)).toBe(true);
    const logins = entries.filter((e) => e.action === 'auth.login');
    expect(logins.every((e) => typeof e.actorUser === 'string' && e.actorUser.length > 0)).toBe(true);
    const failed = await env.call('POST', '/api/v1/auth/login', { body: { username: 'nobody', password: 'x' } });
    expect(failed.status).toBe(401);
    const [last] = (await env.db.select().from(auditLog).where(eq(auditLog.action, 'auth.login_failed'))).slice(-1);
    expect(last!.actorUser).toBe('nobody');
  });
});
