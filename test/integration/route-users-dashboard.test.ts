// Issue 14, missing: a dashboard page for route users. On an HTTP route's page: the users, adding one (the
// TOTP enrolment QR shown once), removing one after a confirmation that says what it cuts.
// Real: the Hono app with the dashboard, the route-auth service verbs, a libSQL temp file with per-table id
// offsets. Simulated: the browser (a cookie jar over app.request, test/helpers/admin-login.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bootstrapAdmin } from '../../src/services/admin/bootstrap.ts';
import { ADMIN, browser } from '../helpers/admin-login.ts';
import { systemContext, testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let b: ReturnType<typeof browser>;
let token: string;

async function route(body: Record<string, unknown>) {
  const res = await env.call('POST', '/api/v1/routes', { token, body });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: number }).id;
}

/** The route page, and the CSRF field it carries. */
async function routePage(id: number, query = '') {
  const res = await b.request('GET', `/routes/${id}${query}`);
  const html = await res.text();
  return { status: res.status, html, csrf: b.csrfOf(html) };
}

async function addUser(id: number, username: string, password: string) {
  const { csrf } = await routePage(id);
  return b.request('POST', `/routes/${id}/users`, { _csrf: csrf, username, password });
}

const users = async (id: number) =>
  (
    (await (await env.call('GET', `/api/v1/routes/${id}/auth-users`, { token })).json()) as {
      data: { id: number; username: string }[];
    }
  ).data;

beforeEach(async () => {
  env = await testApp();
  await bootstrapAdmin({ ctx: systemContext(env) });
  token = await env.tokenFor('admin');
  b = browser(env, '127.0.0.1');
  expect((await b.password(ADMIN.password)).status).toBe(303);
});
afterEach(() => env.cleanup());

describe('route users in the dashboard', () => {
  it('adds a user, shows the TOTP QR once, lists the user; the enrolment is gone on reload', async () => {
    const id = await route({ domain: 'app.example.com', target_host: '10.0.0.5', target_port: 80 });
    const empty = await routePage(id);
    expect(empty.html).toContain('No users yet.');
    const added = await addUser(id, 'alice', 'alice has a long password');
    expect(added.status).toBe(303);
    expect(added.headers.get('location')).toBe(`/routes/${id}?done=route-user-added#users`);
    const shown = await routePage(id, '?done=route-user-added');
    expect(shown.html).toContain('User “alice” added.');
    expect(shown.html).toMatch(/<figure class="qr"[^>]*><svg/);
    expect(shown.html).toMatch(/<code class="secret">[A-Z2-7]{16,}<\/code>/);
    expect(shown.html).not.toContain('alice has a long password');
    const again = await routePage(id);
    expect(again.html, 'the secret is shown once').not.toContain('class="secret"');
    expect(again.html).toMatch(/<td>alice<\/td>/);
    expect(await users(id)).toMatchObject([{ username: 'alice' }]);
  });

  it('refuses hostile input with the field named, and adds nothing', async () => {
    const id = await route({ domain: 'b.example.com', target_host: '10.0.0.5', target_port: 80 });
    for (const [username, password, field] of [
      ['', 'a long enough password', 'route-user-username'],
      ['bob\r\nRemote-User: admin', 'a long enough password', 'route-user-username'],
      ['<script>x</script>', 'a long enough password', 'route-user-username'],
      ['x'.repeat(65), 'a long enough password', 'route-user-username'],
      ['bob', 'short', 'route-user-password'],
      ['bob', 'p'.repeat(1025), 'route-user-password'],
    ] as const) {
      const res = await addUser(id, username, password);
      const html = await res.text();
      expect(res.status, `${JSON.stringify(username)} / ${password.length}`).toBe(422);
      expect(html).toContain(`id="${field}-error"`);
      expect(html).not.toContain('<script>x</script>');
      expect(html).not.toContain(password.length > 8 ? password : '\u0000');
    }
    await addUser(id, 'bob', 'a long enough password');
    const dup = await addUser(id, 'bob', 'another long password');
    expect(dup.status).toBe(422);
    expect(await dup.text()).toContain('already has a user named bob');
    expect((await users(id)).map((u) => u.username)).toEqual(['bob']);
  });

  it('removes a user only after a confirmation that says what is cut, and refuses the last way in', async () => {
    const id = await route({ domain: 'c.example.com', target_host: '10.0.0.5', target_port: 80 });
    await addUser(id, 'carol', 'carol has a long password');
    await addUser(id, 'dave', 'dave has a long password');
    const enabled = await env.call('PUT', `/api/v1/routes/${id}`, {
      token,
      body: { auth_enabled: true, auth_method: 'password_totp' },
    });
    expect(enabled.status, await enabled.clone().text()).toBe(200);
    const [carol, dave] = await users(id);
    const confirm = await b.request('GET', `/routes/${id}/users/${carol!.id}/remove`);
    const text = await confirm.text();
    expect(confirm.status).toBe(200);
    expect(text).toContain('Remove “carol” from c.example.com?');
    expect(text).toContain('carol can no longer log in to c.example.com');
    expect(text).toContain('They have no open session.');
    expect((await b.request('POST', `/routes/${id}/users/${carol!.id}/delete`, { _csrf: b.csrfOf(text) })).status).toBe(
      303,
    );
    expect((await users(id)).map((u) => u.username)).toEqual(['dave']);

    const last = await (await b.request('GET', `/routes/${id}/users/${dave!.id}/remove`)).text();
    expect(last).toContain('They are the last way into this route');
    expect(last, 'no remove button for the last way in').not.toContain(`/users/${dave!.id}/delete`);
    // A post made anyway (an old tab, a script) is refused by the service and removes nothing.
    const refused = await b.request('POST', `/routes/${id}/users/${dave!.id}/delete`, { _csrf: b.csrfOf(last) });
    expect(refused.status).toBe(409);
    expect((await users(id)).map((u) => u.username)).toEqual(['dave']);
  });

  it('a user id of another route is not found there; L4 routes have no users section', async () => {
    const a = await route({ domain: 'd.example.com', target_host: '10.0.0.5', target_port: 80 });
    const other = await route({ domain: 'e.example.com', target_host: '10.0.0.5', target_port: 80 });
    await addUser(a, 'erin', 'erin has a long password');
    const [erin] = await users(a);
    expect((await b.request('GET', `/routes/${other}/users/${erin!.id}/remove`)).status).toBe(404);
    const l4 = await route({
      type: 'l4',
      target_host: '10.0.0.5',
      target_port: 22,
      l4_protocol: 'tcp',
      l4_listen_port: '40022',
    });
    expect((await routePage(l4)).html).not.toContain('id="users-h"');
  });
});
