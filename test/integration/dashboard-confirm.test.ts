// Issue 14 (missing: confirmation before every destructive action): a delete, revoke or rotation happens only
// from its confirm page, and that page names what the action cuts with counts computed on the server.
// Real: the Hono app (dashboard pages and forms with CSRF), the services, a libSQL temp file.
// Simulated: WireGuard (offline peer deps: peers are stored, not applied), client addresses.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CreatePeerSchema } from '../../src/schemas/peers.ts';
import { CreateRouteSchema } from '../../src/schemas/routes.ts';
import { bootstrapAdmin } from '../../src/services/admin/bootstrap.ts';
import { createGateway } from '../../src/services/gateways/create.ts';
import { getGateway } from '../../src/services/gateways/list.ts';
import { createPeer } from '../../src/services/peers/create.ts';
import { getPeer } from '../../src/services/peers/get.ts';
import { offlinePeerDeps } from '../../src/services/peers/offline.ts';
import { createRoute } from '../../src/services/routes/create.ts';
import { getRoute } from '../../src/services/routes/read.ts';
import { createToken } from '../../src/services/tokens/create.ts';
import { listTokens } from '../../src/services/tokens/list.ts';
import { ADMIN, browser } from '../helpers/admin-login.ts';
import { systemContext, testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let b: ReturnType<typeof browser>;
const peerDeps = offlinePeerDeps();
const ctx = () => systemContext(env);
const live = { isOnline: () => false, handshakeAt: () => null };

beforeEach(async () => {
  env = await testApp({ peers: peerDeps });
  await bootstrapAdmin({ ctx: ctx() });
  b = browser(env, '198.51.100.7');
  expect((await b.password(ADMIN.password)).status).toBe(303);
});
afterEach(() => env.cleanup());

/** A POST as the dashboard's forms make it: the session's CSRF token from a page, plus `extra`. */
async function post(path: string, extra: Record<string, string> = {}) {
  const csrf = b.csrfOf(await (await b.request('GET', '/')).text());
  return b.request('POST', path, { _csrf: csrf, ...extra });
}
const exists = (check: () => Promise<unknown>) =>
  check().then(
    () => true,
    () => false,
  );

const httpRoute = (name: string, aclPeers: number[]) =>
  createRoute({
    ctx: ctx(),
    input: CreateRouteSchema.parse({
      type: 'http',
      name,
      domain: `${name}.example.com`,
      target_kind: 'direct',
      target_host: '10.0.0.5',
      target_port: 8080,
      acl_enabled: aclPeers.length > 0,
      acl_peers: aclPeers,
    }),
  });

describe('confirm before destroying', () => {
  it('a peer: the POST without the confirm step deletes nothing; the page names the 2 routes whose ACL it is in', async () => {
    const peer = await createPeer({ ctx: ctx(), deps: peerDeps, input: CreatePeerSchema.parse({ name: 'laptop' }) });
    await httpRoute('wiki', [peer.id]);
    await httpRoute('grafana', [peer.id]);
    await httpRoute('open', []);

    const bare = await post(`/peers/${peer.id}/delete`);
    expect(bare.status).toBe(303);
    expect(bare.headers.get('location')).toBe(`/peers/${peer.id}/delete`);
    expect(await exists(() => getPeer({ ctx: ctx(), deps: peerDeps, input: { id: peer.id } }))).toBe(true);

    const confirm = await (await b.request('GET', `/peers/${peer.id}/delete`)).text();
    expect(confirm).toContain('This peer is in the ACL of 2 routes');
    expect(confirm).toContain('wiki (wiki.example.com)');
    expect(confirm).not.toContain('open (');
    expect(confirm).toMatch(/name="confirmed" value="yes"/);

    const done = await post(`/peers/${peer.id}/delete`, { confirmed: 'yes' });
    expect(done.headers.get('location')).toBe('/peers?done=peer-deleted');
    expect(await exists(() => getPeer({ ctx: ctx(), deps: peerDeps, input: { id: peer.id } }))).toBe(false);
  });

  it('a route: deleted only after the confirm page, which names its domain', async () => {
    const route = await httpRoute('docs', []);
    await post(`/routes/${route.id}/delete`, { confirmed: 'no' });
    expect(await exists(() => getRoute({ ctx: ctx(), input: { id: route.id } }))).toBe(true);
    const confirm = await (await b.request('GET', `/routes/${route.id}/delete`)).text();
    expect(confirm).toContain('docs.example.com stops answering');
    await post(`/routes/${route.id}/delete`, { confirmed: 'yes' });
    expect(await exists(() => getRoute({ ctx: ctx(), input: { id: route.id } }))).toBe(false);
  });

  it('a gateway: "3 routes use this gateway" and no delete button; rotation names the routes that stop', async () => {
    const { row, token } = await createGateway({
      ctx: ctx(),
      input: { name: 'home', peer_id: null, lan_networks: ['192.168.1.0/24'] },
    });
    for (const name of ['nas', 'printer', 'camera'])
      await createRoute({
        ctx: ctx(),
        input: CreateRouteSchema.parse({
          type: 'http',
          name,
          domain: `${name}.example.com`,
          target_kind: 'gateway',
          gateway_id: row.id,
          target_lan_host: '192.168.1.10',
          target_lan_port: 80,
        }),
      });
    const confirm = await (await b.request('GET', `/gateways/${row.id}/delete`)).text();
    expect(confirm).toContain('3 routes use this gateway');
    expect(confirm).not.toContain('name="confirmed"');

    await post(`/gateways/${row.id}/rotate`);
    const before = await getGateway({ ctx: ctx(), input: { id: row.id }, live });
    expect(before.token_prefix).toBe(token.slice(0, before.token_prefix.length));
    const rotate = await (await b.request('GET', `/gateways/${row.id}/rotate`)).text();
    expect(rotate).toContain('The agent (not connected now) can no longer connect');
    expect(rotate).toContain('3 routes use this gateway');
    await post(`/gateways/${row.id}/rotate`, { confirmed: 'yes' });
    const after = await getGateway({ ctx: ctx(), input: { id: row.id }, live });
    expect(after.token_prefix).not.toBe(before.token_prefix);
  });

  it('a token: revoked only after the confirm page, which says its users get 401', async () => {
    const created = await createToken({ ctx: ctx(), input: { name: 'backup', scope: 'read' } });
    const revoked = async () => (await listTokens({ ctx: ctx() })).find((t) => t.id === created.id)?.revoked_at;
    await post(`/tokens/${created.id}/revoke`);
    expect(await revoked()).toBeNull();
    const confirm = await (await b.request('GET', `/tokens/${created.id}/revoke`)).text();
    expect(confirm).toContain('gets 401 at once');
    await post(`/tokens/${created.id}/revoke`, { confirmed: 'yes' });
    expect(await revoked()).toBeTruthy();
  });
});
