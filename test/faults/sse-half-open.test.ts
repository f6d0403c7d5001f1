// Issue 13, faults: an agent's event stream that goes half-open is noticed on both ends within the ping
// interval plus a margin, not after TCP's own timeouts (minutes) or never.
// Real: the control plane's HTTP app and gateway hub on 127.0.0.1 (test/helpers/gateway.ts), gateway tokens,
// the agent's SseClient, TCP sockets. Simulated: the network fault (a proxy on loopback that stops forwarding
// or stops reading without closing anything), and a client that stops reading (a raw socket, paused).
import net from 'node:net';
import { buildGatewayConfig } from '@gatehouse/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { controlPlane, emptyBody } from '../helpers/gateway.ts';
import { waitFor } from '../helpers/wait.ts';
import { freezableProxy, streamClient } from './support.ts';

const PING_MS = 1_000;
/** What the agent allows on top of the announced interval (packages/agent/src/sse-client.ts). */
const MARGIN_MS = 1_000;
/** Scheduling slack on two shared cores. */
const SLACK_MS = 1_000;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

describe('SSE stream half-open', () => {
  it('the agent notices a server that went silent (no FIN) within the ping interval + margin and reconnects', async () => {
    const cp = await controlPlane({ pingIntervalMs: PING_MS, retryMs: 200 });
    cleanups.push(() => cp.cleanup());
    const { token } = await cp.newGateway('half-open-agent');
    const proxy = await freezableProxy(Number(new URL(cp.url).port));
    cleanups.push(() => proxy.close());
    // The agent's own defaults (45 s watchdog): only what the server announces may shorten it.
    const s = streamClient(`http://127.0.0.1:${proxy.port}`, token);
    cleanups.push(() => s.stop());
    await waitFor('first config', () => s.seen.version === 1, 5_000);

    // Healthy pings keep it connected: no reconnect over three intervals.
    await new Promise((resolve) => setTimeout(resolve, 3 * PING_MS));
    expect(s.client.reconnects).toBe(0);

    const frozenAt = performance.now();
    expect(proxy.freeze('drop')).toBe(1);
    const bound = PING_MS + MARGIN_MS + SLACK_MS;
    await waitFor('the agent to drop the silent stream', () => s.seen.disconnects.length === 1, bound + 2_000, 10);
    const detectedMs = s.seen.disconnects[0]! - frozenAt;
    await waitFor('the agent to reconnect', () => s.seen.connects.length === 2, 5_000, 10);
    expect(detectedMs, `detected after ${Math.round(detectedMs)} ms`).toBeLessThanOrEqual(bound);
    expect(s.client.connected).toBe(true);
    // A resume, not a replay: the reconnect carries Last-Event-ID and stays on version 1.
    expect(s.seen.version).toBe(1);
  });

  it('the server drops a client that stopped reading, marks its gateway offline, and keeps serving the others', async () => {
    const cp = await controlPlane({ pingIntervalMs: PING_MS, retryMs: 200 });
    cleanups.push(() => cp.cleanup());
    const stalled = await cp.newGateway('stops-reading');
    const healthy = await cp.newGateway('keeps-reading');
    const other = streamClient(cp.url, healthy.token);
    cleanups.push(() => other.stop());

    // A client that reads the first config and then stops reading, without closing.
    const socket = net.connect(Number(new URL(cp.url).port), '127.0.0.1');
    cleanups.push(() => socket.destroy());
    let closedAt: number | undefined;
    socket.on('error', () => {});
    socket.on('close', () => {
      closedAt = performance.now();
    });
    let received = '';
    socket.on('data', (d: Buffer) => {
      received += d.toString();
    });
    socket.write(
      `GET /api/v1/gateway/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${stalled.token}\r\nAccept: text/event-stream\r\n\r\n`,
    );
    await waitFor('the first config on the raw stream', () => received.includes('event: config'), 5_000);
    await waitFor('the other agent on version 1', () => other.seen.version === 1, 5_000);
    expect(cp.hub.isOnline(stalled.row.id)).toBe(true);
    socket.pause();

    // Every config for the stalled gateway is large (1 MiB), so its writes back up within a few publishes.
    const configFor = cp.source.configFor.bind(cp.source);
    cp.source.configFor = async (id) =>
      id === stalled.row.id
        ? buildGatewayConfig(cp.source.version, {
            ...emptyBody(),
            // Padding past the schema (the raw client does not validate): only the size matters here.
            wol: [{ mac: 'aa:bb:cc:dd:ee:ff', broadcast: 'x'.repeat(1 << 20) }],
          })
        : configFor(id);
    let droppedAt: number | undefined;
    for (let i = 0; i < 16 && droppedAt === undefined; i++) {
      // Before the fix a publish never finished once one stream stopped reading: every agent froze with it.
      await within(PING_MS + MARGIN_MS + SLACK_MS, `publish ${i + 1}`, cp.change({}));
      if (!cp.hub.isOnline(stalled.row.id)) droppedAt = performance.now();
    }
    await waitFor('the stalled gateway offline', () => !cp.hub.isOnline(stalled.row.id), PING_MS + MARGIN_MS);
    // The server cut the connection: once the client reads again it gets what was in flight, then the end.
    socket.resume();
    await waitFor('the stalled socket closed by the server', () => closedAt !== undefined, 5_000);
    // The healthy agent got every version meanwhile and is still on the same stream.
    await waitFor('the other agent current', () => other.seen.version === cp.source.version, 5_000);
    expect(other.client.reconnects).toBe(0);
    expect(cp.hub.isOnline(healthy.row.id)).toBe(true);
  });
});
