// The hub's publish() writes to every gateway's streams at once: a stream whose peer stopped reading must not
// hold up the others until the stall timeout drops it (src/sync/gateway-hub.ts).
import { describe, expect, it } from 'vitest';
import { GatewayHub, type SseSink } from '../../src/sync/gateway-hub.ts';
import { silentLogger } from '../helpers/env.ts';
import { ScriptedSource } from '../helpers/gateway.ts';

/** A sink that records config events; `stuck` ones never finish a config write (a peer that stopped reading). */
function sink(stuck: boolean) {
  const configs: { id: string | undefined; at: number }[] = [];
  let aborts: (() => void)[] = [];
  let failPending: (err: Error) => void = () => {};
  const s: SseSink = {
    aborted: false,
    closed: false,
    async writeSSE(m) {
      if (m.event !== 'config') return;
      if (stuck && configs.length > 0)
        return new Promise<void>((_, reject) => {
          failPending = reject;
        });
      configs.push({ id: m.id, at: performance.now() });
    },
    close() {
      for (const a of aborts) a();
      aborts = [];
    },
    onAbort(listener) {
      aborts.push(() => void listener());
    },
    // Hono's StreamingApi.abort fails the pending write.
    abort() {
      failPending(new Error('aborted'));
    },
  };
  return { s, configs };
}

describe('gateway hub publish', () => {
  it('reaches a healthy gateway at once while an earlier one is stuck', async () => {
    const source = new ScriptedSource();
    const hub = new GatewayHub({ source, logger: silentLogger, pingIntervalMs: 60_000, stallTimeoutMs: 2_000 });
    hub.start();
    const stuck = sink(true);
    const healthy = sink(false);
    // The stuck gateway attaches first, so the old one-by-one publish would write to it first.
    void hub.attach(1, stuck.s, undefined);
    void hub.attach(2, healthy.s, undefined);
    await expect.poll(() => stuck.configs.length + healthy.configs.length).toBe(2);

    source.version = 2;
    const t0 = performance.now();
    const published = hub.publish(2);
    await expect.poll(() => healthy.configs.length, { timeout: 1_500, interval: 5 }).toBe(2);
    expect(healthy.configs[1]!.id).toBe('2');
    expect(healthy.configs[1]!.at - t0).toBeLessThan(1_000);
    await published; // settles once the stall timeout has dropped the stuck stream
    expect(hub.connectionCount).toBe(1);
    await hub.stop();
  });

  it('counts a gateway online while any of its streams is attached', async () => {
    // isOnline is a count per gateway now (a list page asked it once per gateway, each a scan of all streams).
    const hub = new GatewayHub({ source: new ScriptedSource(), logger: silentLogger, pingIntervalMs: 60_000 });
    hub.start();
    const a = sink(false);
    const b = sink(false);
    const done = [hub.attach(7, a.s, undefined), hub.attach(7, b.s, undefined)];
    await expect.poll(() => a.configs.length + b.configs.length).toBe(2);
    expect([hub.isOnline(7), hub.isOnline(8)]).toEqual([true, false]);
    a.s.close();
    await done[0];
    expect(hub.isOnline(7)).toBe(true);
    b.s.close();
    await done[1];
    expect(hub.isOnline(7)).toBe(false);
    expect(hub.connectionCount).toBe(0);
    await hub.stop();
  });
});
