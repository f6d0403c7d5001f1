// Issue 16/20: the VPN peers' identity (name, tags, for the Remote-* headers) is ONE table at the top of the
// snapshot, read by the module's gatehouse_identity handler, not a map copied into every HTTP route. A peer
// change must touch that table only: the routes' bytes stay the same, so the module keeps every route's
// provisioned handlers (caddy-module/identity_test.go proves that side). Real: the compiler (pure functions).
// Simulated: database rows come from the factory.
import { describe, expect, it } from 'vitest';
import { IDENTITY_HEADERS } from '../../src/caddy/identity-headers.ts';
import { type CompileInput, compileSnapshot, contentHash, type PeerRef } from '../../src/caddy/snapshot.ts';
import type { Route } from '../../src/db/schema/routes.ts';
import { routeRow } from '../helpers/factories.ts';

const PEERS: PeerRef[] = [
  { id: 1, name: 'alice-laptop', address: '10.8.0.2', enabled: true, tags: ['staff', 'dev'] },
  { id: 2, name: 'bob-phone', address: '10.8.0.3', enabled: true, tags: [] },
  { id: 3, name: 'carol-off', address: '10.8.0.4', enabled: false, tags: ['staff'] },
  { id: 4, address: '10.8.0.5', enabled: true, tags: ['staff'] },
];

const ROUTES: Route[] = [
  routeRow({ id: 1, name: 'a', domain: 'a.example.com', targetHost: '10.0.0.1', targetPort: 80 }),
  routeRow({ id: 2, name: 'b', domain: 'b.example.com', targetKind: 'peer', peerId: 2, targetPort: 8080 }),
  routeRow({
    id: 3,
    name: 'c',
    domain: 'c.example.com',
    targetHost: '10.0.0.3',
    targetPort: 80,
    policy: { default: 'deny', rules: [{ action: 'allow', conditions: [{ type: 'peer_tag', values: ['staff'] }] }] },
  }),
];

const compile = (peers: PeerRef[], version = 1) =>
  compileSnapshot({ version, routes: ROUTES, peers, gateways: [] } satisfies CompileInput);

describe('the peer identity table', () => {
  it('is one table at the top of the snapshot: enabled peers with a name, by id, tags sorted', () => {
    const snapshot = compile(PEERS);
    expect(snapshot.peers).toEqual([
      { address: '10.8.0.2', name: 'alice-laptop', tags: ['dev', 'staff'] },
      { address: '10.8.0.3', name: 'bob-phone', tags: [] },
    ]);
    // Every HTTP route runs the module's handler (which strips the client's Remote-* and sets a peer's), and
    // no route carries a peer's name.
    for (const r of snapshot.routes) {
      expect(r.http!.handle[0]).toEqual({ handler: 'gatehouse_identity' });
      const text = JSON.stringify(r);
      for (const p of PEERS) if (p.name) expect(text).not.toContain(p.name);
    }
    expect(IDENTITY_HEADERS).toEqual(['Remote-User', 'Remote-Email', 'Remote-Groups', 'Remote-Name']);
  });

  it("renaming a peer changes only the peer table: every route's JSON stays byte-identical", () => {
    const before = compile(PEERS, 1);
    const renamed = PEERS.map((p) => (p.id === 1 ? { ...p, name: 'alice-desktop' } : p));
    const after = compile(renamed, 2);
    expect(after.routes.length).toBe(3);
    expect(after.routes.map((r) => JSON.stringify(r))).toEqual(before.routes.map((r) => JSON.stringify(r)));
    expect(JSON.stringify(after.peers)).not.toBe(JSON.stringify(before.peers));
    expect(after.peers[0]).toEqual({ address: '10.8.0.2', name: 'alice-desktop', tags: ['dev', 'staff'] });
    expect(after.peers.slice(1)).toEqual(before.peers.slice(1));
    // The snapshot's content did change, so it is pushed (contentHash covers the table).
    expect(contentHash(after)).not.toBe(contentHash(before));
  });

  it('a peer that is disabled or loses its name leaves the table, again without touching a route', () => {
    const before = compile(PEERS, 1);
    const after = compile(
      PEERS.map((p) => (p.id === 2 ? { ...p, enabled: false } : p)),
      2,
    );
    expect(after.peers.map((p) => p.name)).toEqual(['alice-laptop']);
    // Route 2 targets peer 2: disabled, it leaves the snapshot (fails closed); the other routes are unchanged.
    expect(after.routes.map((r) => r.id)).toEqual(['1', '3']);
    expect(after.routes.map((r) => JSON.stringify(r))).toEqual(
      before.routes.filter((r) => r.id !== '2').map((r) => JSON.stringify(r)),
    );
  });

  it('grows with peers plus routes, not peers times routes', () => {
    const many = Array.from({ length: 500 }, (_, i) => ({
      id: 100 + i,
      name: `peer-${i}`,
      address: `10.9.${i >> 8}.${i & 255}`,
      enabled: true,
      tags: ['staff'],
    }));
    const few = JSON.stringify(compile([...PEERS, ...many.slice(0, 50)]).routes).length;
    const lots = JSON.stringify(compile([...PEERS, ...many]).routes).length;
    // peer_tag conditions name the addresses they stand for (the policy engine's input); the identity
    // table adds nothing per route.
    const perAddress = '"10.9.1.255",'.length;
    expect(lots - few).toBeLessThanOrEqual(450 * perAddress);
  });
});
