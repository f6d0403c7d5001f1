// Item 6 of issue 13: the public domain (GATEHOUSE_PUBLIC_DOMAIN) serves the dashboard, the API and the agents'
// event stream; no route may claim it — HTTP domain, L4 SNI (passthrough or terminate), or a wildcard over it.
// Real: the Hono app, route service and conflict checks on a temp libSQL database (app.request).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let writer: string;
beforeAll(async () => {
  env = await testApp();
  env.config.publicDomain = 'gate.example.com';
  writer = await env.tokenFor('write');
});
afterAll(() => env.cleanup());

const post = async (body: Record<string, unknown>) => {
  const res = await env.call('POST', '/api/v1/routes', { token: writer, body });
  return {
    status: res.status,
    body: (await res.json()) as { id?: number; error?: { message: string; field?: string } },
  };
};
const direct = { target_kind: 'direct', target_host: '10.0.0.5', target_port: 443 };

describe('the public domain is reserved', () => {
  it.each([
    ['an HTTP route', { domain: 'gate.example.com', ...direct }],
    ['an HTTP route in another spelling', { domain: 'GATE.Example.com.', ...direct }],
    ['a disabled HTTP route', { domain: 'gate.example.com', enabled: false, ...direct }],
    ['a wildcard HTTP route over it', { domain: '*.example.com', ...direct }],
    [
      'a TLS passthrough route on the HTTPS port',
      { type: 'l4', l4_tls_mode: 'passthrough', l4_listen_port: 443, domain: 'gate.example.com', ...direct },
    ],
    [
      'a TLS terminate route on another port',
      { type: 'l4', l4_tls_mode: 'terminate', l4_listen_port: 18443, domain: 'gate.example.com', ...direct },
    ],
  ])('refuses %s with 409 naming the reservation', async (_what, body) => {
    const res = await post(body);
    expect(res.status, JSON.stringify(res.body)).toBe(409);
    expect(res.body.error?.message).toContain('reserved for Gatehouse itself');
  });

  it('still allows its neighbours and names under it', async () => {
    for (const domain of ['app.example.com', 'x.gate.example.com', '*.gate.example.com']) {
      const res = await post({ domain, ...direct });
      expect(res.status, domain).toBe(201);
    }
  });

  it('refuses moving an existing route onto it', async () => {
    const { body } = await post({ domain: 'move.example.com', ...direct });
    const res = await env.call('PUT', `/api/v1/routes/${body.id}`, {
      token: writer,
      body: { domain: 'gate.example.com' },
    });
    expect(res.status).toBe(409);
  });
});
