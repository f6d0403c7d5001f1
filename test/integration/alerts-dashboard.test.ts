// Real: the dashboard (Hono app, admin session, CSRF), the service verbs, a libSQL temp-file database, the
// delivery queue and an HTTP receiver on 127.0.0.1. Simulated: the HTTP socket (app.request).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertStates } from '../../src/db/schema/index.ts';
import { bootstrapAdmin } from '../../src/services/admin/bootstrap.ts';
import { DeliveryQueue } from '../../src/services/alerts/queue.ts';
import { ADMIN, browser } from '../helpers/admin-login.ts';
import { httpReceiver, signatureValid } from '../helpers/alert-receivers.ts';
import { systemContext, testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let http: Awaited<ReturnType<typeof httpReceiver>>;
const holder = {} as { queue: DeliveryQueue };

beforeAll(async () => {
  http = await httpReceiver();
  env = await testApp({ alerts: holder });
  holder.queue = new DeliveryQueue(systemContext(env), { baseDelayMs: 50, maxAttempts: 2 });
  await bootstrapAdmin({ ctx: systemContext(env) });
});
afterAll(async () => {
  holder.queue?.stop();
  await http?.close();
  env?.cleanup();
});

describe('the alerts page', () => {
  it('creates a webhook (secret shown once), sends a test, edits, refuses hostile input, deletes', async () => {
    const b = browser(env, '198.51.100.9');
    expect((await b.password(ADMIN.password)).status).toBe(303);
    let html = await (await b.request('GET', '/alerts')).text();
    const post = (url: string, form: Record<string, string>) =>
      b.request('POST', url, { _csrf: b.csrfOf(html), ...form });

    const created = await post('/alerts/channels', { name: 'ops hook', kind: 'webhook', url: `${http.url}/dash` });
    expect(created.status).toBe(303);
    html = await (await b.request('GET', '/alerts')).text();
    const secret = /id="new-secret">([^<]+)</.exec(html)?.[1];
    expect(secret).toBeTruthy();
    expect(await (await b.request('GET', '/alerts')).text()).not.toContain(secret!);
    const id = /action="\/alerts\/channels\/(\d+)\/test"/.exec(html)?.[1];

    expect((await post(`/alerts/channels/${id}/test`, {})).status).toBe(303);
    await holder.queue.drained();
    const [req] = http.on('/dash');
    expect(signatureValid(secret!, req!.body, req!.headers['x-gatehouse-signature'])).toBe(true);
    html = await (await b.request('GET', '/alerts')).text();
    expect(html).toMatch(/ok .*ago|ok just now|ok /);

    const edit = await b.request('GET', `/alerts/channels/${id}`);
    expect(edit.status).toBe(200);
    html = await edit.text();
    expect(html).toContain(`${http.url}/dash`);
    expect(html).not.toContain(secret!);
    const bad = await post(`/alerts/channels/${id}`, {
      name: 'ops hook',
      kind: 'webhook',
      url: 'ftp://x.example.com/',
    });
    expect(bad.status).toBe(422);
    expect(await bad.text()).toContain('must start with https:// or http://');
    const hostile = await post('/alerts/channels', {
      name: 'n',
      kind: 'ntfy',
      url: 'https://ntfy.sh/t',
      title_prefix: 'a\r\nX-Evil: 1',
    });
    expect(hostile.status).toBe(422);
    expect(await hostile.text()).toContain('must not contain line breaks');
    const good = await post(`/alerts/channels/${id}`, {
      name: 'ops hook 2',
      kind: 'webhook',
      url: `${http.url}/dash2`,
    });
    expect(good.status).toBe(303);
    html = await (await b.request('GET', '/alerts')).text();
    expect(html).toContain('ops hook 2');

    expect((await post(`/alerts/channels/${id}/delete`, {})).status).toBe(303);
    html = await (await b.request('GET', '/alerts')).text();
    expect(html).not.toContain('ops hook 2');
    // Without the CSRF token nothing happens.
    const forged = await b.request('POST', '/alerts/channels', { name: 'x', kind: 'webhook', url: `${http.url}/x` });
    expect(forged.status).toBe(403);
  });

  it('an active alert shows its message, e.g. the CA error of a failing certificate, escaped', async () => {
    await env.db.insert(alertStates).values({
      key: 'certificate:shop.example.test',
      condition: 'certificate',
      subject: 'certificate issuance failing for shop.example.test',
      message: 'Caddy cannot obtain a certificate for shop.example.test: <script>alert(1)</script> HTTP 403',
      since: new Date(),
      firedAt: new Date(),
      lastNotifiedAt: new Date(),
    });
    const b = browser(env, '198.51.100.10');
    expect((await b.password(ADMIN.password)).status).toBe(303);
    const html = await (await b.request('GET', '/alerts')).text();
    expect(html).toContain('certificate issuance failing for shop.example.test');
    expect(html).toContain(
      'Caddy cannot obtain a certificate for shop.example.test: &lt;script&gt;alert(1)&lt;/script&gt; HTTP 403',
    );
    expect(html).not.toContain('<script>alert(1)');
  });
});
