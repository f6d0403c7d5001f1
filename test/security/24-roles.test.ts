// Issue 16 (administrators): roles are enforced on every API operation from one table. The test walks the
// served OpenAPI document, checks the table lists every operation, then calls each one with a session and with
// a token of every role and asserts allowed vs 403 from the table. Unlisted operations need an owner.
// Real: the Hono app (app.request), the users, invite, session and token services, a temp-file libSQL database.
// Simulated: the HTTP socket (app.request), the WireGuard side (peers are stored, not applied).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_ROLES, type AdminRole, roleAtLeast } from '../../src/auth/roles.ts';
import { API_PERMISSIONS, listedPermission } from '../../src/http/permissions.ts';
import { as, type TestUser, usersOfEveryRole } from '../helpers/admin-users.ts';
import { testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let users: Record<AdminRole, TestUser>;
let operations: { method: string; template: string; operationId: string }[] = [];

beforeAll(async () => {
  env = await testApp();
  users = await usersOfEveryRole(env);
  const doc = (await (await as(env, users.owner.session)('GET', '/api/v1/openapi.json')).json()) as {
    paths: Record<string, Record<string, { operationId: string }>>;
  };
  operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      template: `/api/v1${path}`,
      operationId: op.operationId,
    })),
  );
}, 120_000);
afterAll(() => env.cleanup());

/** A concrete path for a template: ids that do not exist, so an allowed call changes nothing. */
const concrete = (template: string) => template.replace(/\{[^}]+\}/g, '999999');
const refusedForRole = async (res: Response) =>
  res.status === 403 && /needs the \w+ role/.test(((await res.json()) as { error: { message: string } }).error.message);

describe('the permission table', () => {
  it('lists every operation of the OpenAPI document', () => {
    expect(operations.length).toBeGreaterThan(30);
    const unlisted = operations.filter((op) => listedPermission(API_PERMISSIONS, op.method, op.template) === undefined);
    expect(unlisted.map((op) => `${op.method} ${op.template} (${op.operationId})`)).toEqual([]);
  });

  it.each(
    ADMIN_ROLES,
  )('lets a %s session call exactly what the table allows, and answers 403 for the rest', async (role) => {
    const call = as(env, users[role].session);
    const wrong: string[] = [];
    for (const op of operations) {
      const need = listedPermission(API_PERMISSIONS, op.method, op.template)!;
      if (need === 'public' || need === 'gateway') continue;
      const body = ['POST', 'PUT', 'PATCH'].includes(op.method) ? {} : undefined;
      const res = await call(op.method, concrete(op.template), body);
      const refused = await refusedForRole(res);
      if (refused === roleAtLeast(role, need)) wrong.push(`${op.method} ${op.template}: ${res.status}, needs ${need}`);
    }
    expect(wrong).toEqual([]);
  });

  it.each(ADMIN_ROLES)("lets the %s's own token call what its (capped) role allows", async (role) => {
    const call = as(env, users[role].token);
    // A token's role is its scope's; the widest scope (admin) is below owner.
    const tokenRole: AdminRole = role === 'owner' ? 'admin' : role;
    const wrong: string[] = [];
    for (const op of operations) {
      const need = listedPermission(API_PERMISSIONS, op.method, op.template)!;
      if (need === 'public' || need === 'gateway') continue;
      const body = ['POST', 'PUT', 'PATCH'].includes(op.method) ? {} : undefined;
      const res = await call(op.method, concrete(op.template), body);
      const refused = await refusedForRole(res);
      if (refused === roleAtLeast(tokenRole, need))
        wrong.push(`${op.method} ${op.template}: ${res.status}, needs ${need}`);
    }
    expect(wrong).toEqual([]);
  });

  it('needs an owner for any path the table does not list (default-deny), for sessions and tokens alike', async () => {
    const path = '/api/v1/not-in-the-table';
    expect(listedPermission(API_PERMISSIONS, 'GET', path)).toBeUndefined();
    for (const who of [users.admin.session, users.admin.token, users.owner.token, users.viewer.session]) {
      const res = await as(env, who)('GET', path);
      expect(res.status).toBe(403);
    }
    // The owner passes the check and meets the 404 behind it.
    expect((await as(env, users.owner.session)('GET', path)).status).toBe(404);
  });

  // Independent of the table: what issue 16 says each role may do.
  it.each([
    ['viewer', 'GET', '/api/v1/peers', true],
    ['viewer', 'POST', '/api/v1/peers', false],
    ['viewer', 'GET', '/api/v1/peers/999999/config', false],
    ['viewer', 'GET', '/api/v1/tokens', false],
    ['operator', 'POST', '/api/v1/routes', true],
    ['operator', 'POST', '/api/v1/gateways', true],
    ['operator', 'GET', '/api/v1/users', false],
    ['operator', 'GET', '/api/v1/tokens', false],
    ['operator', 'GET', '/api/v1/settings', false],
    ['admin', 'GET', '/api/v1/users', true],
    ['admin', 'PATCH', '/api/v1/settings', true],
    ['admin', 'POST', '/api/v1/tokens', true],
  ] as const)('%s: %s %s allowed = %s', async (role, method, path, allowed) => {
    const res = await as(env, users[role].session)(method, path, method === 'GET' ? undefined : {});
    expect(await refusedForRole(res)).toBe(!allowed);
  });

  it('tells a refused caller which role the call needs', async () => {
    const res = await as(env, users.viewer.session)('POST', '/api/v1/peers', { name: 'x' });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      'this call needs the operator role; you are viewer',
    );
  });
});
