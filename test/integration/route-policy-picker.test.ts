// Issue 15, dashboard: the route form's access section picks a shared policy or keeps the route's own rules;
// leaving a shared policy gives the route a copy of it (nothing opens by surprise).
// Real: the Hono app with the dashboard and the API, the route and policy services, a libSQL temp file with
// per-table id offsets. Simulated: the browser (a cookie jar over app.request, test/helpers/admin-login.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { routeValues } from '../../src/dashboard/routes/values.ts';
import type { PublicRoute } from '../../src/schemas/routes.ts';
import { bootstrapAdmin } from '../../src/services/admin/bootstrap.ts';
import { ADMIN, browser } from '../helpers/admin-login.ts';
import { systemContext, testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let b: ReturnType<typeof browser>;
let token: string;

async function api<T>(method: string, url: string, body?: unknown): Promise<T> {
  const res = await env.call(method, url, { token, body });
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return (await res.json()) as T;
}

/** Posts the route's own form as the page renders it, with the picker set to `choice`. */
async function saveForm(route: PublicRoute, choice: string) {
  const page = await b.request('GET', `/routes/${route.id}`);
  const html = await page.text();
  expect(html).toContain('name="policy_choice"');
  const form: Record<string, string> = {};
  for (const [k, v] of Object.entries(routeValues(route))) form[k] = Array.isArray(v) ? (v[0] ?? '') : String(v);
  return b.request('POST', `/routes/${route.id}`, { ...form, policy_choice: choice, _csrf: b.csrfOf(html) });
}

beforeEach(async () => {
  env = await testApp();
  await bootstrapAdmin({ ctx: systemContext(env) });
  token = await env.tokenFor('admin');
  b = browser(env, '127.0.0.1');
  expect((await b.password(ADMIN.password)).status).toBe(303);
});
afterEach(() => env.cleanup());

describe('the route form picks a policy', () => {
  it('attaches a shared policy, then leaves it keeping a copy of its rules', async () => {
    const shared = await api<{ id: number; name: string }>('POST', '/api/v1/policies', {
      name: 'office',
      policy: { default: 'deny', rules: [{ action: 'allow', conditions: [{ type: 'country', values: ['DE'] }] }] },
    });
    const created = await api<PublicRoute>('POST', '/api/v1/routes', {
      domain: 'app.example.com',
      target_host: '10.0.0.5',
      target_port: 80,
      ip_filter_enabled: true,
      ip_filter_mode: 'blacklist',
      ip_filter_rules: [{ type: 'ip', value: '192.0.2.7' }],
    });
    const page = await (await b.request('GET', `/routes/${created.id}`)).text();
    expect(page).toContain(`<option value="${shared.id}">Shared policy: office</option>`);

    const attach = await saveForm(created, String(shared.id));
    expect(attach.status, await attach.clone().text()).toBe(303);
    const attached = await api<PublicRoute>('GET', `/api/v1/routes/${created.id}`);
    expect(attached.policy_id).toBe(shared.id);
    expect(attached.policy).toBeNull();

    const leave = await saveForm(attached, '');
    expect(leave.status, await leave.clone().text()).toBe(303);
    const own = await api<PublicRoute>('GET', `/api/v1/routes/${created.id}`);
    expect(own.policy_id).toBeNull();
    expect(own.policy).toEqual({
      default: 'deny',
      rules: [{ action: 'allow', conditions: [{ type: 'country', values: ['DE'] }] }],
    });
    // The copy is the route's own: changing the shared policy no longer changes it.
    await api('PUT', `/api/v1/policies/${shared.id}`, { policy: { default: 'allow', rules: [] } });
    expect((await api<PublicRoute>('GET', `/api/v1/routes/${created.id}`)).policy?.default).toBe('deny');
  });

  it('refuses a policy that does not exist, naming the field, and changes nothing', async () => {
    const created = await api<PublicRoute>('POST', '/api/v1/routes', {
      domain: 'b.example.com',
      target_host: '10.0.0.5',
      target_port: 80,
    });
    const res = await saveForm(created, '999999');
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('does not exist');
    const after = await api<PublicRoute>('GET', `/api/v1/routes/${created.id}`);
    expect(after.policy_id).toBeNull();
    expect(after.policy).toEqual(created.policy);
  });
});
