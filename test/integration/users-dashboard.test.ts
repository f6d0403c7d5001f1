// Issue 16 (administrators): the dashboard uses the API's permission table. Viewers see no write buttons and
// their writes are refused server-side; the users page is for admins and owners; an invite link from the users
// page lets the invitee set a password on the dashboard and log in with the invited role.
// Real: the Hono app (app.request) with its cookies and CSRF fields, the services, a temp-file libSQL database.
// Simulated: the HTTP socket (a fixed client address per browser).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminRole } from '../../src/auth/roles.ts';
import { CreatePeerSchema } from '../../src/schemas/peers.ts';
import { createPeer } from '../../src/services/peers/create.ts';
import { offlinePeerDeps } from '../../src/services/peers/offline.ts';
import { browser } from '../helpers/admin-login.ts';
import { PASSWORD, type TestUser, usersOfEveryRole } from '../helpers/admin-users.ts';
import { testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let users: Record<AdminRole, TestUser>;

beforeAll(async () => {
  env = await testApp({ peers: offlinePeerDeps() });
  users = await usersOfEveryRole(env);
  await createPeer({
    ctx: users.owner.ctx,
    deps: offlinePeerDeps(),
    input: CreatePeerSchema.parse({ name: 'laptop' }),
  });
}, 120_000);
afterAll(() => env.cleanup());

async function loggedIn(role: AdminRole, address: string) {
  const b = browser(env, address);
  const res = await b.password(PASSWORD, users[role].username);
  expect(res.status).toBe(303);
  return b;
}

describe('the dashboard under roles', () => {
  it('shows a viewer the peers without any write button, and refuses their writes', async () => {
    const b = await loggedIn('viewer', '198.51.100.10');
    const html = await (await b.request('GET', '/peers')).text();
    expect(html).toContain('laptop');
    expect(html).not.toContain('href="/peers/new"');
    expect(html).not.toMatch(/action="\/peers\/\d+\/toggle"/);
    expect(html).not.toContain('href="/users"');
    expect(html).not.toContain('href="/tokens"');
    expect(html).not.toContain('href="/settings"');
    const csrf = b.csrfOf(await (await b.request('GET', '/account')).text());
    const write = await b.request('POST', '/peers', { _csrf: csrf, name: 'sneaky' });
    expect(write.status).toBe(403);
    expect((await b.request('GET', '/peers/new')).status).toBe(403);
    expect((await b.request('GET', '/users')).status).toBe(403);
    expect((await b.request('POST', `/users/${users.viewer.id}/role`, { _csrf: csrf, role: 'owner' })).status).toBe(
      403,
    );
  });

  it('shows an operator the write buttons for peers but no users, tokens or settings', async () => {
    const b = await loggedIn('operator', '198.51.100.11');
    const html = await (await b.request('GET', '/peers')).text();
    expect(html).toContain('href="/peers/new"');
    expect(html).not.toContain('href="/users"');
    expect((await b.request('GET', '/settings')).status).toBe(403);
  });

  it('lets an admin invite from the users page; the invitee sets a password through the link and logs in', async () => {
    const b = await loggedIn('admin', '198.51.100.12');
    const page = await (await b.request('GET', '/users')).text();
    expect(page).toContain(users.viewer.username);
    const invited = await b.request('POST', '/users', { _csrf: b.csrfOf(page), username: 'Ivan', role: 'operator' });
    expect(invited.status).toBe(303);
    const after = await (await b.request('GET', '/users')).text();
    const link = /<code id="invite-url">http:\/\/localhost(\/login\/invite\/[\w-]{43})<\/code>/.exec(after)?.[1];
    expect(link).toBeDefined();
    // The link is shown once.
    expect(await (await b.request('GET', '/users')).text()).not.toContain(link!);

    const invitee = browser(env, '198.51.100.13');
    const form = await (await invitee.request('GET', link!)).text();
    expect(form).toContain('Welcome, ivan');
    const weak = await invitee.request('POST', link!, { _csrf: invitee.csrfOf(form), password: 'short' });
    expect(weak.status).toBe(422);
    const set = await invitee.request('POST', link!, { _csrf: invitee.csrfOf(form), password: 'ivan’s long password' });
    expect(await set.text()).toContain('Your password is set');
    expect((await invitee.request('GET', link!)).status).toBe(404);
    expect((await invitee.password('ivan’s long password', 'ivan')).status).toBe(303);
    expect(await (await invitee.request('GET', '/peers')).text()).toContain('operator');
  });

  it('refuses an admin’s attempt to make an owner, even by a hand-made form', async () => {
    const b = await loggedIn('admin', '198.51.100.14');
    const csrf = b.csrfOf(await (await b.request('GET', '/users')).text());
    const res = await b.request('POST', `/users/${users.viewer.id}/role`, { _csrf: csrf, role: 'owner' });
    expect(res.status).toBe(403);
  });
});
