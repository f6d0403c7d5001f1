// Issue 19, the route page's live panel and "End" without a data plane or with hostile input: nothing changes,
// the page says what is missing. Real: the Hono app (dashboard pages and forms with CSRF), the services, a
// libSQL temp file. Simulated: no Caddy (the data plane is absent), client addresses. With Caddy:
// test/browser/live-connections.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../src/db/schema/index.ts';
import { CreateRouteSchema } from '../../src/schemas/routes.ts';
import { bootstrapAdmin } from '../../src/services/admin/bootstrap.ts';
import { createRoute } from '../../src/services/routes/create.ts';
import { ADMIN, browser } from '../helpers/admin-login.ts';
import { systemContext, testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let b: ReturnType<typeof browser>;
let routeId: number;

beforeAll(async () => {
  env = await testApp();
  await bootstrapAdmin({ ctx: systemContext(env) });
  b = browser(env, '198.51.100.7');
  expect((await b.password(ADMIN.password)).status).toBe(303);
  const route = await createRoute({
    ctx: systemContext(env),
    input: CreateRouteSchema.parse({
      type: 'l4',
      l4_listen_port: 5522,
      target_kind: 'direct',
      target_host: '192.0.2.1',
      target_port: 22,
    }),
  });
  routeId = route.id;
});
afterAll(() => env.cleanup());

describe('the live panel without a data plane', () => {
  it('the route page and the polled fragment say the data plane is not there, instead of "no connections"', async () => {
    const pageHtml = await (await b.request('GET', `/routes/${routeId}`)).text();
    expect(pageHtml).toContain('Open connections');
    expect(pageHtml).toContain(`hx-get="/routes/${routeId}/live"`);
    expect(pageHtml).toContain('Not available: the data plane (Caddy) is not running');
    const fragment = await b.request('GET', `/routes/${routeId}/live`);
    expect(fragment.status).toBe(200);
    const text = await fragment.text();
    expect(text).not.toContain('<html');
    expect(text).toContain('Not available');
  });

  it('End without the confirm step changes nothing and leads to the confirm page; hostile ids never reach it', async () => {
    const csrf = b.csrfOf(await (await b.request('GET', '/')).text());
    const unconfirmed = await b.request('POST', `/routes/${routeId}/connections/1/end`, { _csrf: csrf });
    expect(unconfirmed.status).toBe(303);
    expect(unconfirmed.headers.get('location')).toBe(`/routes/${routeId}/connections/1/end`);
    for (const bad of ['0', '-1', '1e9', 'abc', '99999999999999999999', '1;DROP']) {
      const res = await b.request('POST', `/routes/${routeId}/connections/${encodeURIComponent(bad)}/end`, {
        _csrf: csrf,
        confirmed: 'yes',
      });
      expect([404, 503], bad).toContain(res.status);
    }
    const confirmPage = await b.request('GET', `/routes/${routeId}/connections/1/end`);
    expect(confirmPage.status).toBe(503);
    const audited = (await env.db.select().from(auditLog)).filter((a) => a.action === 'route.connection.close');
    expect(audited).toEqual([]);
  });
});
