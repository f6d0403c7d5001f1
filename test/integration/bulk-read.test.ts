// Real: libSQL temp-file database, drizzle, the JSON bulk reader. Simulated: nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectAllAsJson } from '../../src/db/bulk-read.ts';
import { peers, routes } from '../../src/db/schema/index.ts';
import { testDb } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testDb>>;
beforeAll(async () => {
  env = await testDb();
});
afterAll(() => env.cleanup());

describe('selectAllAsJson', () => {
  it('returns exactly what select().from() returns, types included', async () => {
    const at = new Date('2026-11-21T10:00:00.123Z');
    await env.db.insert(routes).values([
      {
        type: 'http',
        name: 'a "quoted" name',
        domain: 'a.example.com',
        targetKind: 'direct',
        targetHost: '10.0.0.1',
        targetPort: 80,
        customHeaders: [{ name: 'X-A', value: 'ü {x}', direction: 'request' }],
        upstreams: [{ host: '10.0.0.2', port: 81 }],
        healthCheck: { path: '/h', interval_seconds: 5, timeout_seconds: 1 },
        policy: {
          rules: [{ action: 'deny', conditions: [{ type: 'cidr', not: true, values: ['10.0.0.0/8'] }] }],
          default: 'allow',
        },
        createdAt: at,
        updatedAt: at,
      },
      {
        type: 'l4',
        name: 'b',
        targetKind: 'direct',
        targetHost: '10.0.0.1',
        targetPort: 22,
        l4Protocol: 'udp',
        l4ListenPortStart: 2000,
        l4ListenPortEnd: 2009,
        l4TlsMode: 'none',
        enabled: false,
        customHeaders: [],
        upstreams: [],
        createdAt: at,
        updatedAt: at,
      },
    ]);
    expect(await selectAllAsJson(env.db, routes)).toEqual(await env.db.select().from(routes));
    await env.db.insert(peers).values({
      name: 'p',
      publicKey: 'x',
      address: '10.8.0.2',
      dns: ['1.1.1.1'],
      allowedIps: ['0.0.0.0/0'],
      tags: [],
      expiresAt: at,
      createdAt: at,
      updatedAt: at,
    });
    expect(await selectAllAsJson(env.db, peers)).toEqual(await env.db.select().from(peers));
  });

  it('reads in pages by rowid: every row once, in order, whatever the page size', async () => {
    const at = new Date('2026-11-21T10:00:00.000Z');
    await env.db.insert(routes).values(
      Array.from({ length: 7 }, (_, i) => ({
        type: 'http' as const,
        name: `paged-${i}`,
        domain: `paged-${i}.example.com`,
        targetKind: 'direct' as const,
        targetHost: '10.0.0.1',
        targetPort: 80,
        customHeaders: [],
        upstreams: [],
        createdAt: at,
        updatedAt: at,
      })),
    );
    const all = await env.db.select().from(routes);
    for (const pageRows of [1, 2, 3, all.length, all.length + 1]) {
      expect(await selectAllAsJson(env.db, routes, pageRows)).toEqual(all);
    }
  });
});
