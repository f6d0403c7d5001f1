// Issue 20 ("find and remove what grows worse than linear"): the snapshot compiler looks peers, shared policies
// and gateways up in maps built once per compile (src/caddy/lookups.ts), not by scanning the input lists for
// every route. Measured without a clock: the input lists are wrapped so that every element read is counted; a
// compile must read each list a bounded number of times, however many routes use it. Real: the compiler.
// Simulated: rows from the factory.
import { describe, expect, it } from 'vitest';
import { PeerIndex } from '../../src/caddy/lookups.ts';
import { type CompileInput, compileSnapshot, type PeerRef } from '../../src/caddy/snapshot.ts';
import type { Route } from '../../src/db/schema/routes.ts';
import { routeRow } from '../helpers/factories.ts';

/** The list, with a counter of element reads (`list[i]`, and every element a `find`/`filter`/`for…of` visits). */
function counted<T>(list: T[]): { list: T[]; reads: () => number } {
  let reads = 0;
  const proxy = new Proxy(list, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
      return Reflect.get(target, key, receiver);
    },
  });
  return { list: proxy, reads: () => reads };
}

function world(routeCount: number) {
  const PEERS = 300;
  const GATEWAYS = 50;
  const POLICIES = 20;
  const peers: PeerRef[] = Array.from({ length: PEERS }, (_, i) => ({
    id: i + 1,
    name: `peer-${i}`,
    address: `10.8.${i >> 8}.${i & 255}`,
    enabled: i % 7 !== 0,
    tags: [`team-${i % 10}`],
  }));
  const gateways = Array.from({ length: GATEWAYS }, (_, i) => ({ id: i + 1, tunnelIp: `10.9.0.${i + 1}` }));
  const policies = Array.from({ length: POLICIES }, (_, i) => ({
    id: i + 1,
    name: `shared-${i}`,
    policy: {
      default: 'deny' as const,
      rules: [{ action: 'allow' as const, conditions: [{ type: 'peer_tag' as const, values: [`team-${i % 10}`] }] }],
    },
  }));
  const routes: Route[] = Array.from({ length: routeCount }, (_, i) => {
    const base = { id: i + 1, name: `r${i}`, domain: `r${i}.example.com` };
    if (i % 3 === 0)
      return routeRow({
        ...base,
        targetKind: 'gateway',
        gatewayId: (i % GATEWAYS) + 1,
        targetLanHost: '192.168.1.2',
        targetLanPort: 80,
        gatewayPort: 40000 + i,
      });
    if (i % 3 === 1)
      return routeRow({
        ...base,
        targetKind: 'peer',
        peerId: (i % PEERS) + 2,
        targetPort: 80,
        policy: { default: 'deny', rules: [{ action: 'allow', conditions: [{ type: 'peer', values: [String(i)] }] }] },
      });
    return routeRow({ ...base, targetHost: '10.0.0.1', targetPort: 80, policyId: (i % POLICIES) + 1, policy: null });
  });
  return { peers, gateways, policies, routes };
}

describe('snapshot compile lookups', () => {
  it('reads peers, gateways and shared policies a bounded number of times, not once per route', () => {
    for (const routeCount of [30, 600]) {
      const w = world(routeCount);
      const peers = counted(w.peers);
      const gateways = counted(w.gateways);
      const policies = counted(w.policies);
      const input: CompileInput = {
        version: 1,
        routes: w.routes,
        peers: peers.list,
        gateways: gateways.list,
        policies: policies.list,
      };
      const snapshot = compileSnapshot(input);
      expect(snapshot.routes.length).toBeGreaterThan(routeCount / 2);
      // Building the maps and the peer table reads each list a few times in all; a scan per route read
      // routes × list (600 routes: ~90,000 peer reads).
      expect(peers.reads(), `peer reads at ${routeCount} routes`).toBeLessThanOrEqual(4 * w.peers.length);
      expect(gateways.reads(), `gateway reads at ${routeCount} routes`).toBeLessThanOrEqual(2 * w.gateways.length);
      expect(policies.reads(), `policy reads at ${routeCount} routes`).toBeLessThanOrEqual(2 * w.policies.length);
    }
  });

  it('resolves ids and tags to the enabled peers’ addresses, sorted and without repeats', () => {
    const index = new PeerIndex([
      { id: 1, address: '10.8.0.9', enabled: true, tags: ['a', 'b'] },
      { id: 2, address: '10.8.0.3', enabled: false, tags: ['a'] },
      { id: 3, address: '10.8.0.10', enabled: true, tags: ['b'] },
    ]);
    expect(index.addresses([1, 2, 404], [])).toEqual(['10.8.0.9']);
    expect(index.addresses([], ['a', 'b', 'nobody'])).toEqual(['10.8.0.10', '10.8.0.9']);
    expect(index.addresses([3], ['b'])).toEqual(['10.8.0.10', '10.8.0.9']);
    expect(index.addresses([], [])).toEqual([]);
  });
});
