// Real: the in-memory stats history (ring buffer, deltas, counter resets) and the poller with an injected
// clock and source. Simulated: `wg show dump` (objects built here) and time.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { InterfaceDump } from '../../src/wireguard/dump.ts';
import { StatsHistory, StatsPoller } from '../../src/wireguard/stats.ts';

const A = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const B = 'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=';
const minute = (n: number) => new Date(Date.UTC(2026, 10, 21, 12, n));

function dump(peers: { key: string; rx: number; tx: number; hs?: number }[]): InterfaceDump {
  return {
    publicKey: null,
    listenPort: 51820,
    peers: peers.map((p) => ({
      publicKey: p.key,
      endpoint: '198.51.100.1:5000',
      allowedIps: [],
      latestHandshake: p.hs ? new Date(p.hs * 1000) : null,
      rxBytes: p.rx,
      txBytes: p.tx,
      persistentKeepalive: null,
    })),
  };
}

describe('StatsHistory', () => {
  it('records per-interval deltas and the latest totals', () => {
    const h = new StatsHistory(10);
    h.record(minute(0), dump([{ key: A, rx: 1000, tx: 10 }]));
    h.record(minute(1), dump([{ key: A, rx: 1500, tx: 30, hs: 1795300000 }]));
    h.record(minute(2), dump([{ key: A, rx: 1500, tx: 30, hs: 1795300000 }]));
    expect(h.history(A).map((p) => [p.at.getUTCMinutes(), p.rxBytes, p.txBytes])).toEqual([
      [0, 0, 0],
      [1, 500, 20],
      [2, 0, 0],
    ]);
    expect(h.history(A)[1]!.latestHandshake).toEqual(new Date(1795300000 * 1000));
    expect(h.latest(A)).toMatchObject({
      rxBytes: 1500,
      txBytes: 30,
      endpoint: '198.51.100.1:5000',
      sampledAt: minute(2),
    });
  });

  it('keeps only the last `capacity` points', () => {
    const h = new StatsHistory(5);
    for (let i = 0; i < 12; i++) h.record(minute(i), dump([{ key: A, rx: i * 100, tx: 0 }]));
    const points = h.history(A);
    expect(points).toHaveLength(5);
    expect(points.map((p) => p.at.getUTCMinutes())).toEqual([7, 8, 9, 10, 11]);
    expect(points.every((p) => p.rxBytes === 100)).toBe(true);
  });

  it('treats a counter that went down as a restart of the interface', () => {
    const h = new StatsHistory(10);
    h.record(minute(0), dump([{ key: A, rx: 5000, tx: 5000 }]));
    h.record(minute(1), dump([{ key: A, rx: 300, tx: 40 }]));
    expect(h.history(A)[1]).toMatchObject({ rxBytes: 300, txBytes: 40 });
  });

  it('starts a peer’s history when it appears and forgets it when it leaves', () => {
    const h = new StatsHistory(10);
    h.record(minute(0), dump([{ key: A, rx: 0, tx: 0 }]));
    h.record(
      minute(1),
      dump([
        { key: A, rx: 0, tx: 0 },
        { key: B, rx: 7, tx: 7 },
      ]),
    );
    expect(h.history(B)).toHaveLength(1);
    h.record(minute(2), dump([{ key: A, rx: 0, tx: 0 }]));
    expect(h.history(B)).toEqual([]);
    expect(h.latest(B)).toBeUndefined();
    expect(h.history(A)).toHaveLength(3);
  });
});

describe('StatsPoller', () => {
  it('polls on start, on pollOnce, survives a failing source, and stops', async () => {
    const h = new StatsHistory(10);
    let calls = 0;
    const poller = new StatsPoller({
      source: async () => {
        calls++;
        if (calls === 2) throw new Error('wg went away');
        return dump([{ key: A, rx: calls * 10, tx: 0 }]);
      },
      history: h,
      intervalMs: 3_600_000,
      now: () => minute(calls),
      logger: pino({ level: 'silent' }),
    });
    poller.start();
    await poller.pollOnce(); // joins the poll start() began
    await poller.pollOnce(); // fails: logged, not thrown
    await poller.pollOnce();
    await poller.stop();
    expect(calls).toBe(3);
    expect(h.history(A)).toHaveLength(2);
  });
});
