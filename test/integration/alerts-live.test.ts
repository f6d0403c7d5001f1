// Real: the whole control plane (startServer, with its alert evaluator and delivery queue) and the real Caddy
// binary, a real gateway agent over HTTP/SSE on loopback, an HTTP receiver for webhook/ntfy/Gotify and a real
// SMTP server, all on 127.0.0.1. Simulated: nothing; thresholds are short through the `alerts` setting.
import { Agent, agentConfigSchema } from '@gatehouse/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpReceiver, signatureValid, smtpReceiver } from '../helpers/alert-receivers.ts';
import { silentLogger, tempDir } from '../helpers/env.ts';
import { type Stack, startStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait.ts';

let stack: Stack;
let http: Awaited<ReturnType<typeof httpReceiver>>;
let smtp: Awaited<ReturnType<typeof smtpReceiver>>;
let gateway: { id: number; token: string };
let webhookSecret: string;
const agents: Agent[] = [];
const stateDir = tempDir('gatehouse-agent-');

function startAgent() {
  const a = new Agent({
    config: agentConfigSchema.parse({
      server: stack.server.url,
      token: gateway.token,
      state_dir: stateDir.dir,
      status_interval_seconds: 1,
      allow_loopback_targets: true,
    }),
    logger: silentLogger,
  });
  agents.push(a);
  return a;
}

beforeAll(async () => {
  http = await httpReceiver();
  smtp = await smtpReceiver();
  stack = await startStack({ GATEHOUSE_WG_ADDRESS: '127.0.0.1/24' });
  const settings = await stack.request('PATCH', '/api/v1/settings', {
    alerts: { evaluate_seconds: 1, gateway_offline_seconds: 2, repeat_seconds: 3600 },
  });
  expect(settings.status, JSON.stringify(settings.body)).toBe(200);
  const channels = [
    { name: 'hook', config: { kind: 'webhook', url: `${http.url}/hook` } },
    { name: 'ntfy', config: { kind: 'ntfy', url: `${http.url}/ntfy/topic`, token: 'ntfy-token' } },
    { name: 'gotify', config: { kind: 'gotify', url: `${http.url}/gotify`, token: 'gotify-token' } },
    {
      name: 'mail',
      config: {
        kind: 'email',
        host: '127.0.0.1',
        port: smtp.port,
        tls: 'none',
        user: smtp.credentials.user,
        password: smtp.credentials.pass,
        from: 'gatehouse@example.com',
        to: ['ops@example.com'],
      },
    },
  ];
  for (const ch of channels) {
    const res = await stack.request('POST', '/api/v1/alerts/channels', ch);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    if (ch.name === 'hook') webhookSecret = res.body.secret;
  }
  const peer = await stack.request('POST', '/api/v1/peers', { name: 'gw-alerts', is_gateway: true });
  expect(peer.status, JSON.stringify(peer.body)).toBe(201);
  const created = await stack.request('POST', '/api/v1/gateways', {
    name: 'alerts-home',
    peer_id: peer.body.id,
    lan_networks: ['127.0.0.0/24'],
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  gateway = created.body as typeof gateway;
}, 60_000);

afterAll(async () => {
  for (const a of agents) await a.stop().catch(() => {});
  await stack?.stop();
  await http?.close();
  await smtp?.close();
  stateDir.cleanup();
});

type Notice = { state: string; key: string };
const key = () => `gateway_offline:${gateway.id}`;

/** What each channel received about this gateway going offline, in order. */
function received() {
  const hook = http
    .on('/hook')
    .map((r) => JSON.parse(r.body) as Notice)
    .filter((n) => n.key === key());
  const ntfy = http.on('/ntfy/topic').map((r) => String(r.headers.title));
  const gotify = http.on('/gotify/message').map((r) => (JSON.parse(r.body) as { title: string }).title);
  const mail = smtp.mails.map((m) => /^Subject: (.*)$/m.exec(m.raw)?.[1] ?? '');
  return { hook, ntfy, gotify, mail };
}

describe('alerts, live', () => {
  it('a stopped agent fires gateway_offline to every channel; its return sends the recovery', async () => {
    const first = startAgent();
    await first.start();
    await waitFor(
      'the gateway online',
      async () => ((await stack.request('GET', `/api/v1/gateways/${gateway.id}`)).body.online ? true : undefined),
      15_000,
    );
    await first.stop();

    await waitFor(
      'the offline alert on every channel',
      () => {
        const r = received();
        return r.hook.length && r.ntfy.length && r.gotify.length && r.mail.length ? true : undefined;
      },
      20_000,
    );
    let r = received();
    expect(r.hook.map((n) => n.state)).toEqual(['firing']);
    for (const title of [...r.ntfy, ...r.gotify, ...r.mail])
      expect(title).toContain('ALERT gateway alerts-home offline');
    const hookReq = http.on('/hook').find((q) => q.body.includes(key()))!;
    expect(signatureValid(webhookSecret, hookReq.body, hookReq.headers['x-gatehouse-signature'])).toBe(true);
    expect(http.on('/ntfy/topic')[0]!.headers.authorization).toBe('Bearer ntfy-token');
    expect(http.on('/gotify/message')[0]!.headers['x-gotify-key']).toBe('gotify-token');
    const active = await stack.request('GET', '/api/v1/alerts/active');
    expect(active.body.data.map((a: { key: string }) => a.key)).toContain(key());

    const second = startAgent();
    await second.start();
    await waitFor(
      'the recovery on every channel',
      () => {
        const x = received();
        return x.hook.length >= 2 && x.ntfy.length >= 2 && x.gotify.length >= 2 && x.mail.length >= 2
          ? true
          : undefined;
      },
      20_000,
    );
    r = received();
    expect(r.hook.map((n) => n.state)).toEqual(['firing', 'resolved']);
    for (const title of [r.ntfy[1], r.gotify[1], r.mail[1]])
      expect(title).toContain('RESOLVED gateway alerts-home offline');
  }, 90_000);
});
