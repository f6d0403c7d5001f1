// Issue 13 item 19: a name from the request is never looked up on a plain object, whose prototype answers
// for `__proto__`, `constructor`, `toString` and the like. Unknown assets are 404, and so are unknown flash
// codes and form fields with those names.
// Real: the Hono app (app.request), the admin login and session, a temp-file libSQL database.
// Simulated: the HTTP socket.
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { str } from '../../src/dashboard/shared/forms.ts';
import { formOf } from '../../src/dashboard/shared/session.ts';
import { bootstrapAdmin } from '../../src/services/admin/bootstrap.ts';
import { systemContext, testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let cookie: string;

const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];

beforeAll(async () => {
  env = await testApp();
  await bootstrapAdmin({ ctx: systemContext(env) });
  const login = await env.call('POST', '/api/v1/auth/login', {
    body: { username: env.config.admin.user, password: 'correct horse battery' },
  });
  expect(login.status, await login.clone().text()).toBe(200);
  cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
});
afterAll(() => env.cleanup());

describe('lookups by a name from the request (issue 13 item 19)', () => {
  it('GET /assets/<prototype key, traversal, very long name> is 404 without a stack trace', async () => {
    const names = [...PROTOTYPE_KEYS, '..%2fassets%2fapp.css', '..%2f..%2fpackage.json', 'x'.repeat(5000)];
    for (const name of names) {
      const res = await env.app.request(`/assets/${name}`);
      const body = await res.text();
      expect(res.status, `/assets/${name.slice(0, 40)}: ${body.slice(0, 200)}`).toBe(404);
      expect(body).not.toMatch(/\n\s+at |TypeError|ENOENT/);
    }
    expect((await env.app.request('/assets/app.css')).status).toBe(200);
  });

  it('a dashboard flash code named like a prototype key shows no flash', async () => {
    for (const code of PROTOTYPE_KEYS) {
      const res = await env.app.request(`/?done=${code}`, { headers: { cookie } });
      const body = await res.text();
      expect(res.status, `?done=${code}: ${body.slice(0, 200)}`).toBe(200);
      expect(body).not.toContain('class="flash"');
    }
  });

  it('form fields named like prototype keys are plain fields of the parsed form', async () => {
    // Repeated __proto__ fields used to become an array assigned as the form object's prototype.
    const probe = new Hono().post('/', async (c) => {
      const form = await formOf(c);
      return c.json({ keys: Object.keys(form), proto: str(form, '__proto__'), name: str(form, 'name') });
    });
    const res = await probe.request('/', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '__proto__=a&__proto__=b&constructor=c&name=n',
    });
    expect(await res.json()).toEqual({ keys: ['__proto__', 'constructor', 'name'], proto: 'a', name: 'n' });
  });
});
