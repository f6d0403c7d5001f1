// Real: the Hono app with the forward-auth verify endpoint, a libSQL temp file, the route service.
// Simulated: the connection's addresses (app.request with the Node server's `incoming` socket binding), to
// show who may call verify: Caddy on this host (loopback, or the same local address on both ends when the
// control plane listens on e.g. the tunnel address) and nobody else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let routeId: number;

beforeAll(async () => {
  env = await testApp();
  const token = await env.tokenFor('write');
  const res = await env.call('POST', '/api/v1/routes', {
    token,
    body: {
      domain: 'auth.example.com',
      target_host: '10.0.0.5',
      target_port: 80,
      auth_enabled: true,
      auth_password: 'a long shared password',
    },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  routeId = ((await res.json()) as { id: number }).id;
});
afterAll(() => env.cleanup());

function verifyFrom(remoteAddress: string, localAddress: string) {
  const socket = {
    remoteAddress,
    localAddress,
    remotePort: 40000,
    remoteFamily: remoteAddress.includes(':') ? 'IPv6' : 'IPv4',
  };
  return env.app.request(
    '/auth/verify',
    {
      headers: {
        host: 'auth.example.com',
        'x-forwarded-host': 'auth.example.com',
        'x-gatehouse-route': String(routeId),
        'x-forwarded-uri': '/',
        'x-forwarded-method': 'GET',
      },
    },
    { incoming: { socket } },
  );
}

describe('who may call the verify endpoint', () => {
  it('answers Caddy on this host: loopback, or the same local address on both ends', async () => {
    expect((await verifyFrom('127.0.0.1', '127.0.0.1')).status).toBe(302);
    expect((await verifyFrom('10.8.0.1', '10.8.0.1')).status).toBe(302);
  });

  it('refuses everyone else with a 404, whatever headers they send', async () => {
    expect((await verifyFrom('203.0.113.5', '10.8.0.1')).status).toBe(404);
    expect((await verifyFrom('10.8.0.7', '10.8.0.1')).status).toBe(404);
  });
});
