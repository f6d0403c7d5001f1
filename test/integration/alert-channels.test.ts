// Real: the Hono app, the service verbs, a libSQL temp-file database, the delivery queue, an HTTP receiver and
// a real SMTP server (smtp-server) on 127.0.0.1, nodemailer and fetch. Simulated: the HTTP socket of the API
// (app.request instead of a listening server).
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSealed } from '../../src/auth/secret-box.ts';
import { alertChannels, auditLog } from '../../src/db/schema/index.ts';
import { DeliveryQueue } from '../../src/services/alerts/queue.ts';
import { httpReceiver, signatureValid, smtpReceiver } from '../helpers/alert-receivers.ts';
import { systemContext, testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let http: Awaited<ReturnType<typeof httpReceiver>>;
let other: Awaited<ReturnType<typeof httpReceiver>>;
let smtp: Awaited<ReturnType<typeof smtpReceiver>>;
let queue: DeliveryQueue;
let token: string;
const holder: { queue: DeliveryQueue } = {} as { queue: DeliveryQueue };

beforeAll(async () => {
  other = await httpReceiver();
  http = await httpReceiver({ redirectTo: `${other.url}/stolen` });
  smtp = await smtpReceiver();
  env = await testApp({ alerts: holder });
  queue = new DeliveryQueue(systemContext(env), { baseDelayMs: 100, maxAttempts: 3, timeoutMs: 3_000 });
  holder.queue = queue;
  token = await env.tokenFor('admin');
});
afterAll(async () => {
  queue?.stop();
  await http?.close();
  await other?.close();
  await smtp?.close();
  env?.cleanup();
});

async function create(name: string, config: Record<string, unknown>) {
  const res = await env.call('POST', '/api/v1/alerts/channels', { token, body: { name, config } });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { id: number; secret?: string; secrets_set: string[]; config: Record<string, unknown> };
}

async function sendTest(id: number) {
  const res = await env.call('POST', `/api/v1/alerts/channels/${id}/test`, { token });
  expect(res.status, await res.clone().text()).toBe(202);
  await queue.drained();
}

async function channel(id: number) {
  return (await (await env.call('GET', `/api/v1/alerts/channels/${id}`, { token })).json()) as {
    last_delivery_error: string | null;
    last_delivery_at: string | null;
  };
}

describe('alert channels deliver to real receivers', () => {
  it('webhook: JSON body signed with HMAC-SHA256 of the body, secret generated once and sealed at rest', async () => {
    const hook = await create('hook', { kind: 'webhook', url: `${http.url}/hook/1` });
    expect(hook.secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(hook.secrets_set).toEqual(['secret']);
    await sendTest(hook.id);
    const [req] = http.on('/hook/1');
    expect(req!.method).toBe('POST');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(signatureValid(hook.secret!, req!.body, req!.headers['x-gatehouse-signature'])).toBe(true);
    expect(signatureValid('wrong secret value!', req!.body, req!.headers['x-gatehouse-signature'])).toBe(false);
    expect(JSON.parse(req!.body)).toMatchObject({ source: 'gatehouse', state: 'test', key: `test:${hook.id}` });
    expect((await channel(hook.id)).last_delivery_error).toBeNull();

    const [row] = await env.db.select().from(alertChannels).where(eq(alertChannels.id, hook.id));
    expect(isSealed(row!.secrets!)).toBe(true);
    expect(JSON.stringify(row)).not.toContain(hook.secret);
    const listed = await (await env.call('GET', '/api/v1/alerts/channels', { token })).text();
    expect(listed).not.toContain(hook.secret);
    const audit = JSON.stringify(
      await env.db.select().from(auditLog).where(eq(auditLog.resourceType, 'alert_channel')),
    );
    expect(audit).not.toContain(hook.secret);
  });

  it('ntfy: the message as body, Title/Priority/Tags headers and the token as a bearer', async () => {
    const ntfy = await create('ntfy', {
      kind: 'ntfy',
      url: `${http.url}/ntfy/gatehouse-alerts`,
      token: 'tk_ntfytoken123',
      title_prefix: 'Büro',
      priority: 5,
      tags: ['warning', 'skull'],
    });
    await sendTest(ntfy.id);
    const [req] = http.on('/ntfy/gatehouse-alerts');
    expect(req!.headers.authorization).toBe('Bearer tk_ntfytoken123');
    // Non-ASCII goes as an RFC 2047 encoded word, which ntfy decodes.
    const title = String(req!.headers.title);
    expect(title).toMatch(/^=\?UTF-8\?B\?/);
    expect(Buffer.from(title.slice(10, -2), 'base64').toString('utf8')).toMatch(/^Büro: TEST test notice/);
    expect(req!.headers.priority).toBe('3'); // tests and recoveries go at the default priority
    expect(req!.headers.tags).toBe('warning,skull');
    expect(req!.body).toContain('This is a test notice');
  });

  it('Gotify: POST <server>/message with the app token and its JSON', async () => {
    const gotify = await create('gotify', {
      kind: 'gotify',
      url: `${http.url}/gotify/`,
      token: 'AppTokenXyz',
      priority: 7,
    });
    await sendTest(gotify.id);
    const [req] = http.on('/gotify/message');
    expect(req!.headers['x-gotify-key']).toBe('AppTokenXyz');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req!.body)).toMatchObject({
      title: expect.stringContaining('TEST'),
      priority: 7,
      message: expect.any(String),
    });
  });

  it('email: through a real SMTP server with user and password (sealed), to every recipient', async () => {
    const mail = await create('mail', {
      kind: 'email',
      host: '127.0.0.1',
      port: smtp.port,
      tls: 'none',
      user: smtp.credentials.user,
      password: smtp.credentials.pass,
      from: 'gatehouse@example.com',
      to: ['ops@example.com', 'oncall@example.com'],
    });
    expect(mail.secrets_set).toEqual(['password']);
    expect(JSON.stringify(mail)).not.toContain(smtp.credentials.pass);
    await sendTest(mail.id);
    expect((await channel(mail.id)).last_delivery_error).toBeNull();
    const [got] = smtp.mails;
    expect(got!.user).toBe('alerts');
    expect(got!.from).toBe('gatehouse@example.com');
    expect(got!.to).toEqual(['ops@example.com', 'oncall@example.com']);
    expect(got!.raw).toMatch(/^Subject: Gatehouse: TEST test notice for channel mail/m);
  });

  it('retries a failing receiver with backoff, and never follows a redirect to another host', async () => {
    const flaky = await create('flaky', {
      kind: 'webhook',
      url: `${http.url}/fail-once/x`,
      secret: 'a-secret-of-16-chars',
    });
    await sendTest(flaky.id);
    expect(http.on('/fail-once/x')).toHaveLength(2);
    expect((await channel(flaky.id)).last_delivery_error).toBeNull();

    const redirected = await create('redirected', { kind: 'webhook', url: `${http.url}/redirect/x` });
    await sendTest(redirected.id);
    expect(http.on('/redirect/x')).toHaveLength(3); // every attempt, none followed
    expect(other.requests).toHaveLength(0);
    expect((await channel(redirected.id)).last_delivery_error).toMatch(/redirect.*not followed/);
  });

  it('does not read a huge answer body: the delivery completes', async () => {
    const huge = await create('huge', { kind: 'webhook', url: `${http.url}/huge/x` });
    const started = Date.now();
    await sendTest(huge.id);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect((await channel(huge.id)).last_delivery_error).toBeNull();
  });

  it('edits keep write-only secrets unless replaced; delete removes the channel', async () => {
    const g = await create('gotify-2', { kind: 'gotify', url: `${http.url}/g2`, token: 'keepme' });
    const patched = await env.call('PATCH', `/api/v1/alerts/channels/${g.id}`, {
      token,
      body: { config: { kind: 'gotify', url: `${http.url}/g2b`, priority: 2 } },
    });
    expect(patched.status, await patched.clone().text()).toBe(200);
    await sendTest(g.id);
    expect(http.on('/g2b/message')[0]!.headers['x-gotify-key']).toBe('keepme');
    const kind = await env.call('PATCH', `/api/v1/alerts/channels/${g.id}`, {
      token,
      body: { config: { kind: 'webhook', url: `${http.url}/x` } },
    });
    expect(kind.status).toBe(422);
    expect((await env.call('DELETE', `/api/v1/alerts/channels/${g.id}`, { token })).status).toBe(200);
    expect((await env.call('POST', `/api/v1/alerts/channels/${g.id}/test`, { token })).status).toBe(404);
  });
});

describe('hostile channel input is refused with the field named, and changes nothing', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['credentials in URL', { kind: 'webhook', url: 'https://user:pw@hooks.example.com/x' }, 'user name or password'],
    ['ftp scheme', { kind: 'webhook', url: 'ftp://hooks.example.com/x' }, 'https:// or http://'],
    ['file scheme', { kind: 'ntfy', url: 'file:///etc/passwd' }, 'https:// or http://'],
    ['javascript scheme', { kind: 'gotify', url: 'javascript:alert(1)' }, 'https:// or http://'],
    ['gopher scheme', { kind: 'webhook', url: 'gopher://127.0.0.1:25/_HELO' }, 'https:// or http://'],
    ['too long', { kind: 'webhook', url: `https://h.example.com/${'a'.repeat(3000)}` }, 'at most 2048'],
    ['line break in URL', { kind: 'webhook', url: 'https://h.example.com/x\r\nHost: evil' }, 'control characters'],
    ['fragment', { kind: 'webhook', url: 'https://h.example.com/x#frag' }, 'fragment'],
    ['not a URL', { kind: 'webhook', url: '//h.example.com/x' }, 'absolute URL'],
    [
      'header injection in ntfy title',
      { kind: 'ntfy', url: 'https://ntfy.sh/t', title_prefix: 'x\r\nX-Evil: 1' },
      'line breaks',
    ],
    [
      'header injection in ntfy token',
      { kind: 'ntfy', url: 'https://ntfy.sh/t', token: 'a\r\nX-Evil: 1' },
      'printable ASCII',
    ],
    ['bad ntfy priority', { kind: 'ntfy', url: 'https://ntfy.sh/t', priority: 9 }, '1–5'],
    ['bad ntfy tag', { kind: 'ntfy', url: 'https://ntfy.sh/t', tags: ['a,b\n'] }, 'tags'],
    ['short webhook secret', { kind: 'webhook', url: 'https://h.example.com/x', secret: 'short' }, 'at least 16'],
    [
      'mail header injection',
      { kind: 'email', host: 'smtp.example.com', from: 'a@example.com\r\nBcc: x@evil.com', to: ['b@example.com'] },
      'e-mail address',
    ],
    [
      'mail host injection',
      { kind: 'email', host: 'smtp.example.com\r\nX', from: 'a@example.com', to: ['b@example.com'] },
      'host name',
    ],
    [
      'too many recipients',
      { kind: 'email', host: 'smtp.example.com', from: 'a@example.com', to: Array(11).fill('b@example.com') },
      'at most 10',
    ],
    ['unknown kind', { kind: 'slack', url: 'https://h.example.com/x' }, ''],
    ['unknown field', { kind: 'webhook', url: 'https://h.example.com/x', follow_redirects: true }, ''],
  ];
  for (const [name, config, message] of cases) {
    it(name, async () => {
      const before = await env.db.select().from(alertChannels);
      const res = await env.call('POST', '/api/v1/alerts/channels', { token, body: { name: 'hostile', config } });
      expect(res.status).toBe(422);
      const body = (await res.json()) as { error: { message: string; fields: { field: string }[] } };
      expect(body.error.fields[0]!.field).toMatch(/^config/);
      expect(body.error.message).toContain(message);
      expect(await env.db.select().from(alertChannels)).toEqual(before);
    });
  }

  it('a huge body is refused before it is read; a read token cannot touch channels', async () => {
    const res = await env.call('POST', '/api/v1/alerts/channels', {
      token,
      body: { name: 'big', config: { kind: 'webhook', url: `https://h.example.com/${'a'.repeat(2_000_000)}` } },
    });
    expect(res.status).toBe(413);
    const read = await env.tokenFor('read');
    expect((await env.call('GET', '/api/v1/alerts/channels', { token: read })).status).toBe(403);
  });
});
