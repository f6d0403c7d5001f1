// Issue 13 item 18: a partial update changes only the fields it names. Each resource is updated through the API
// with one field, and the whole GET before and after must differ in that field (and updated_at) only.
// Real: the Hono app (app.request), the service verbs and a temp-file libSQL database. Simulated: the WireGuard
// interface (test/helpers/peer-network.ts) and the HTTP socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpdateGatewaySchema } from '../../src/schemas/gateways.ts';
import { UpdatePeerSchema } from '../../src/schemas/peers.ts';
import { UpdateAuthUserSchema } from '../../src/schemas/route-auth.ts';
import { UpdateRouteSchema } from '../../src/schemas/routes.ts';
import { testApp } from '../helpers/env.ts';
import { recordingPeerDeps } from '../helpers/peer-network.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let admin: string;

beforeAll(async () => {
  env = await testApp({ peers: recordingPeerDeps() });
  admin = await env.tokenFor('admin');
});
afterAll(() => env.cleanup());

type Json = Record<string, unknown>;
async function send(method: string, url: string, body?: unknown): Promise<Json> {
  const res = await env.call(method, url, { token: admin, body });
  const text = await res.text();
  expect(res.status, `${method} ${url}: ${text}`).toBeLessThan(300);
  return JSON.parse(text) as Json;
}
const get = (url: string) => send('GET', url);

/** Everything but the changed field and the clock-driven timestamps. */
function untouched(view: Json, changed: string[]): Json {
  const rest = { ...view };
  for (const key of [...changed, 'updated_at']) delete rest[key];
  return rest;
}

describe('partial updates leave absent fields unchanged (issue 13 item 18)', () => {
  it('gateway: PATCH with only a name keeps lan_networks and peer_id', async () => {
    const peer = await send('POST', '/api/v1/peers', { name: 'gw-peer', is_gateway: true });
    const gw = await send('POST', '/api/v1/gateways', {
      name: 'home',
      peer_id: peer.id,
      lan_networks: ['192.168.2.0/24', '10.20.0.0/16'],
    });
    const before = await get(`/api/v1/gateways/${gw.id}`);
    await send('PATCH', `/api/v1/gateways/${gw.id}`, { name: 'office' });
    const after = await get(`/api/v1/gateways/${gw.id}`);
    expect(after.name).toBe('office');
    expect(after.lan_networks).toEqual(['192.168.2.0/24', '10.20.0.0/16']);
    expect(untouched(after, ['name'])).toEqual(untouched(before, ['name']));
  });

  it('peer: PUT with only a name keeps tags, enabled, is_gateway, keys and networks', async () => {
    const peer = await send('POST', '/api/v1/peers', {
      name: 'laptop',
      tags: ['staff'],
      enabled: false,
      is_gateway: true,
      dns: ['1.1.1.1'],
      allowed_ips: ['192.168.0.0/16'],
      persistent_keepalive: 30,
      expires_at: '2099-01-01T00:00:00.000Z',
    });
    const before = await get(`/api/v1/peers/${peer.id}`);
    await send('PUT', `/api/v1/peers/${peer.id}`, { name: 'laptop-2' });
    const after = await get(`/api/v1/peers/${peer.id}`);
    expect(after.name).toBe('laptop-2');
    expect(untouched(after, ['name'])).toEqual(untouched(before, ['name']));
  });

  it('route: PUT with only a name keeps every other field', async () => {
    const route = await send('POST', '/api/v1/routes', {
      name: 'app',
      domain: 'app.example.com',
      target_host: '127.0.0.1',
      target_port: 8080,
      custom_headers: [{ name: 'X-Test', value: '1', direction: 'response' }],
      acl_enabled: false,
      ip_filter_enabled: true,
      ip_filter_mode: 'blacklist',
      ip_filter_rules: [{ type: 'ip', value: '203.0.113.7' }],
      rate_limit_enabled: true,
      rate_limit_requests: 7,
      rate_limit_window: '1h',
      auth_enabled: true,
      auth_password: 'a shared secret',
      auth_session_hours: 5,
    });
    const before = await get(`/api/v1/routes/${route.id}`);
    await send('PUT', `/api/v1/routes/${route.id}`, { name: 'app-2' });
    const after = await get(`/api/v1/routes/${route.id}`);
    expect(after.name).toBe('app-2');
    expect(untouched(after, ['name'])).toEqual(untouched(before, ['name']));
  });

  it('route auth user: PUT of the password keeps username and TOTP enrolment', async () => {
    const route = await send('POST', '/api/v1/routes', {
      name: 'wiki',
      domain: 'wiki.example.com',
      target_host: '127.0.0.1',
      target_port: 8081,
      auth_enabled: true,
      auth_password: 'a shared secret',
    });
    const user = await send('POST', `/api/v1/routes/${route.id}/auth-users`, {
      username: 'alice',
      password: 'first password',
    });
    const find = async () =>
      ((await get(`/api/v1/routes/${route.id}/auth-users`)).data as Json[]).find((u) => u.id === user.id)!;
    const before = await find();
    await send('PUT', `/api/v1/routes/${route.id}/auth-users/${user.id}`, { password: 'second password' });
    const after = await find();
    expect(untouched(after, [])).toEqual(untouched(before, []));
    expect(before.totp_enrolled).toBe(true);
  });

  it('settings: PATCH of api_docs_public keeps every other setting', async () => {
    const before = await get('/api/v1/settings');
    await send('PATCH', '/api/v1/settings', { api_docs_public: true });
    const after = await get('/api/v1/settings');
    expect(after.api_docs_public).toBe(true);
    expect(untouched(after, ['api_docs_public'])).toEqual(untouched(before, ['api_docs_public']));
  });

  it('no update schema fills in a field its body left out (zod defaults survive .partial())', () => {
    const cases: [string, { parse: (v: unknown) => unknown }, Json][] = [
      ['gateway', UpdateGatewaySchema, { name: 'x' }],
      ['peer', UpdatePeerSchema, { name: 'x' }],
      ['route', UpdateRouteSchema, { name: 'x' }],
      ['route auth user', UpdateAuthUserSchema, { password: 'long enough' }],
    ];
    for (const [resource, schema, body] of cases) {
      expect(Object.keys(schema.parse(body) as Json), resource).toEqual(Object.keys(body));
    }
  });

  // API tokens have no update verb (create, list, revoke only), so there is nothing to merge.
});
