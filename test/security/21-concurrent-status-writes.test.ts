// Issue 13 item 21: agents' status reports (and last-seen, token last-used) must not fail with SQLITE_BUSY while
// the API takes parallel writes. Real: the whole server (startServer) with the real Caddy binary, so every route
// write holds the write transaction while its snapshot is pushed to Caddy; agents are simulated by their status
// endpoint with real gateway tokens over HTTP.
import { describe, expect, it } from 'vitest';
import { startStack } from '../helpers/stack.ts';

describe('item 21: every write goes through one queue', () => {
  it('answers no 5xx to status reports sent while routes are updated in parallel', async () => {
    const stack = await startStack();
    const t = {
      call: (method: string, path: string, opts: { token: string; body?: unknown }) =>
        fetch(`${stack.server.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${opts.token}`, 'content-type': 'application/json' },
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        }),
    };
    try {
      const admin = stack.token;
      const writer = stack.token;
      const gateways: { id: number; token: string }[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await t.call('POST', '/api/v1/gateways', { token: admin, body: { name: `gw${i}` } });
        gateways.push((await res.json()) as { id: number; token: string });
      }
      const routeIds: number[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await t.call('POST', '/api/v1/routes', {
          token: writer,
          body: {
            domain: `app${i}.example.com`,
            target_kind: 'direct',
            target_host: '10.0.0.5',
            target_port: 8000 + i,
          },
        });
        expect(res.status).toBe(201);
        routeIds.push(((await res.json()) as { id: number }).id);
      }

      const statuses: number[] = [];
      for (let round = 0; round < 8; round++) {
        const puts = routeIds.map((id, i) =>
          t.call('PUT', `/api/v1/routes/${id}`, {
            token: writer,
            body: { target_port: 9000 + round * 10 + i },
          }),
        );
        const reports = gateways.flatMap((gw) =>
          [0, 1].map(() =>
            t.call('POST', '/api/v1/gateway/status', {
              token: gw.token,
              body: { applied_version: round, listeners: [], targets: [] },
            }),
          ),
        );
        for (const res of await Promise.all([...puts, ...reports])) statuses.push(res.status);
      }
      const failures = statuses.filter((s) => s >= 500);
      expect(failures, `5xx answers: ${failures.join(',')}`).toEqual([]);
      expect(statuses.filter((s) => s === 204)).toHaveLength(8 * gateways.length * 2);
      // The last report of every gateway is what the API shows (no stale state).
      for (const gw of gateways) {
        const seen = (await (await t.call('GET', `/api/v1/gateways/${gw.id}`, { token: admin })).json()) as {
          applied_version: number;
        };
        expect(seen.applied_version).toBe(7);
      }
    } finally {
      await stack.stop();
    }
  }, 60_000);
});
