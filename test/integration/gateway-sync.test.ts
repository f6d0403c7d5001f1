// Real: the control plane's HTTP app and gateway hub served on 127.0.0.1 over a temp-file libSQL database,
// gateway tokens, the agent (SSE client, reconciler, forwarders, state file, status reports) and TCP
// sockets. Simulated: the routes compiler (a scripted GatewayConfigSource), LAN targets (echo servers on
// loopback), and for the cut-mid-event and bad-event cases a hand-written SSE server.
import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { buildGatewayConfig } from '@gatehouse/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { agent, controlPlane, emptyBody } from '../helpers/gateway.ts';
import { connect, echoServer, freePort } from '../helpers/net.ts';
import { waitFor } from '../helpers/wait.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function later<T extends { cleanup: () => Promise<void> | void }>(thing: T): T {
  cleanups.push(() => thing.cleanup());
  return thing;
}

async function echoRoundTrip(port: number, text: string): Promise<string> {
  const socket = await connect(port);
  try {
    return await new Promise((resolve) => {
      socket.once('data', (d: Buffer) => resolve(d.toString()));
      socket.write(text);
    });
  } finally {
    socket.destroy();
  }
}

describe('gateway sync', () => {
  it('brings a config change to a connected agent, opens its listener and shows the state in the API', async () => {
    const cp = later(await controlPlane());
    const target = await echoServer();
    cleanups.push(() => target.close());
    const { row, token } = await cp.newGateway('home');
    const a = later(agent(cp.url, token));
    await a.agent.start();
    await waitFor('first config', () => a.agent.appliedVersion === 1, 5_000);

    const port = await freePort();
    await cp.change({
      [row.id]: {
        ...emptyBody(),
        l4_routes: [
          {
            route_id: 7,
            protocol: 'tcp',
            listen_port: port,
            target_lan_host: '127.0.0.1',
            target_lan_port: target.port,
          },
        ],
      },
    });
    await waitFor('version 2', () => a.agent.appliedVersion === 2, 5_000);
    expect(await echoRoundTrip(port, 'through the gateway')).toBe('through the gateway');

    // The agent reported back: the API shows it online, in sync, with the listener up and the target reachable.
    const api = await import('../../src/services/gateways/list.ts');
    const live = { isOnline: (id: number) => cp.hub.isOnline(id), handshakeAt: () => null };
    const { systemContext } = await import('../helpers/env.ts');
    await waitFor(
      'the applied version in the gateway record',
      async () =>
        (await api.getGateway({ ctx: systemContext(cp.db), input: { id: row.id }, live })).applied_version === 2,
    );
    // The scripted source keeps its own version; the API reads the settings table, so align it there.
    await cp.db.client.execute(
      `INSERT OR REPLACE INTO settings (key, value, updated_at) VALUES ('config_version', '2', 0)`,
    );
    const view = await api.getGateway({ ctx: systemContext(cp.db), input: { id: row.id }, live });
    expect(view).toMatchObject({
      online: true,
      applied_version: 2,
      current_version: 2,
      drift: false,
      handshake_age_seconds: null,
    });
    expect(view.listeners).toEqual([{ route_id: 7, port, protocol: 'tcp', state: 'listening' }]);
    expect(view.targets[0]).toMatchObject({ route_id: 7, reachable: true });

    // The last good config is on disk, private to the agent's user.
    const saved = path.join(a.stateDir, 'last-config.json');
    expect(JSON.parse(readFileSync(saved, 'utf8')).version).toBe(2);
    expect(statSync(saved).mode & 0o777).toBe(0o600);
  });

  it('resyncs 50 agents after a server restart, their reconnects spread by jitter', async () => {
    const cp = later(await controlPlane({ retryMs: 400 }));
    const agents: import('@gatehouse/agent').Agent[] = [];
    for (let i = 0; i < 50; i++) {
      const { token } = await cp.newGateway(`gw-${i}`);
      const a = later(agent(cp.url, token, { sse: { retryMs: 200, maxRetryMs: 4_000, idleTimeoutMs: 10_000 } }));
      await a.agent.start();
      agents.push(a.agent);
    }
    await waitFor('all agents on version 1', () => agents.every((a) => a.appliedVersion === 1), 10_000);

    await cp.close();
    const down = performance.now();
    cp.source.version = 2; // changed while the server was down
    cp.source.calls = [];
    await new Promise((resolve) => setTimeout(resolve, 300));
    await cp.listen();
    await waitFor('all agents on version 2', () => agents.every((a) => a.appliedVersion === 2), 20_000);

    const firstCall = new Map<number, number>();
    for (const c of cp.source.calls) if (!firstCall.has(c.gatewayId)) firstCall.set(c.gatewayId, c.at - down);
    const times = [...firstCall.values()].sort((x, y) => x - y);
    expect(times).toHaveLength(50);
    const spread = times.at(-1)! - times[0]!;
    console.info(
      `reconnects after restart: first ${times[0]!.toFixed(0)} ms, last ${times.at(-1)!.toFixed(0)} ms, spread ${spread.toFixed(0)} ms`,
    );
    // The retry hint was 400 ms; equal jitter spreads each agent's delay over half of it at least.
    expect(spread).toBeGreaterThan(150);
  }, 60_000);

  it('does not replay the current config to an agent that resumes with it', async () => {
    const cp = later(await controlPlane());
    const { token } = await cp.newGateway('resume');
    const a = later(agent(cp.url, token));
    await a.agent.start();
    await waitFor('version 1', () => a.agent.appliedVersion === 1);
    const received = a.agent.received;
    await cp.close();
    await cp.listen();
    await waitFor('reconnect', () => cp.hub.connectionCount === 1, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(a.agent.received).toBe(received);
    expect(a.agent.reconnects).toBeGreaterThanOrEqual(1);
  });

  it('treats 401 as fatal with a clear message', async () => {
    const cp = later(await controlPlane());
    let fatal: Error | undefined;
    const a = later(agent(cp.url, 'gtw_not-a-real-token', { onFatal: (err) => (fatal = err) }));
    await a.agent.start();
    await waitFor('fatal', () => fatal !== undefined, 5_000);
    expect(fatal!.message).toMatch(/rejected the gateway token \(HTTP 401\).*--token/);
  });

  it('does not interrupt an open forwarded connection when an unrelated route changes', async () => {
    const cp = later(await controlPlane());
    const target = await echoServer();
    cleanups.push(() => target.close());
    const { row, token } = await cp.newGateway('busy');
    const [portA, portB] = [await freePort(), await freePort()];
    const routeA = {
      route_id: 1,
      protocol: 'tcp' as const,
      listen_port: portA,
      target_lan_host: '127.0.0.1',
      target_lan_port: target.port,
    };
    await cp.change({ [row.id]: { ...emptyBody(), l4_routes: [routeA] } });
    const a = later(agent(cp.url, token));
    await a.agent.start();
    await waitFor('version 2', () => a.agent.appliedVersion === 2);
    const socket = await connect(portA);
    let closed = false;
    socket.on('close', () => (closed = true));
    const echo = (text: string) =>
      new Promise<string>((resolve) => {
        socket.once('data', (d: Buffer) => resolve(d.toString()));
        socket.write(text);
      });
    expect(await echo('before')).toBe('before');
    await cp.change({
      [row.id]: { ...emptyBody(), l4_routes: [routeA, { ...routeA, route_id: 2, listen_port: portB }] },
    });
    await waitFor('version 3', () => a.agent.appliedVersion === 3);
    expect(await echo('after')).toBe('after');
    expect(closed).toBe(false);
    expect(await echoRoundTrip(portB, 'new route')).toBe('new route');
    socket.destroy();
  });
});

/** A hand-written SSE server: each connection gets the next scripted response; records Last-Event-ID. */
async function scriptedSse(script: ((res: http.ServerResponse) => void)[]) {
  const lastIds: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    if (req.url?.endsWith('/status')) return void res.writeHead(204).end();
    lastIds.push(req.headers['last-event-id'] as string | undefined);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    (script.shift() ?? (() => {}))(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    lastIds,
    cleanup: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const event = (version: number, body = emptyBody()) =>
  `event: config\nid: ${version}\ndata: ${JSON.stringify(buildGatewayConfig(version, body))}\n\n`;

describe('gateway sync over a scripted stream', () => {
  it('resumes a stream cut mid-event with Last-Event-ID and no full replay', async () => {
    const v2 = event(2);
    const sse = later(
      await scriptedSse([
        (res) => {
          res.write('retry: 100\n\n');
          res.write(event(1));
          res.write(v2.slice(0, 40)); // cut in the middle of event 2
          setTimeout(() => res.socket?.destroy(), 50);
        },
        (res) => res.write(v2),
      ]),
    );
    const a = later(agent(sse.url, 'gtw_scripted'));
    await a.agent.start();
    await waitFor('version 2 after the cut', () => a.agent.appliedVersion === 2, 5_000);
    expect(sse.lastIds).toEqual([undefined, '1']);
    expect(a.agent.received).toBe(2); // 1, then 2 once: the half event was dropped, nothing replayed
  });

  it('rejects a bad event and keeps the last good config and its listeners', async () => {
    const target = await echoServer();
    cleanups.push(() => target.close());
    const port = await freePort();
    const good = {
      ...emptyBody(),
      l4_routes: [
        {
          route_id: 3,
          protocol: 'tcp' as const,
          listen_port: port,
          target_lan_host: '127.0.0.1',
          target_lan_port: target.port,
        },
      ],
    };
    const bad = { ...buildGatewayConfig(2, emptyBody()), hash: 'f'.repeat(64) };
    const sse = later(
      await scriptedSse([
        (res) => {
          res.write(event(1, good));
          res.write(`event: config\nid: 2\ndata: ${JSON.stringify(bad)}\n\n`);
          res.write('event: config\nid: 3\ndata: {not json\n\n');
        },
      ]),
    );
    const a = later(agent(sse.url, 'gtw_scripted'));
    await a.agent.start();
    await waitFor(
      'two rejections',
      async () =>
        (await a.agent.metrics.registry.getSingleMetricAsString('gatehouse_gateway_config_rejected_total')).includes(
          ' 2',
        ),
      5_000,
    );
    expect(a.agent.appliedVersion).toBe(1);
    expect(await echoRoundTrip(port, 'still here')).toBe('still here');
    expect(JSON.parse(readFileSync(path.join(a.stateDir, 'last-config.json'), 'utf8')).version).toBe(1);
  });

  it('starts from the last good config on disk when the server is unreachable', async () => {
    const target = await echoServer();
    cleanups.push(() => target.close());
    const port = await freePort();
    const body = {
      ...emptyBody(),
      l4_routes: [
        {
          route_id: 4,
          protocol: 'tcp' as const,
          listen_port: port,
          target_lan_host: '127.0.0.1',
          target_lan_port: target.port,
        },
      ],
    };
    const sse = later(await scriptedSse([(res) => res.write(event(5, body))]));
    const first = agent(sse.url, 'gtw_scripted');
    await first.agent.start();
    await waitFor('version 5', () => first.agent.appliedVersion === 5);
    await first.agent.stop();
    await sse.cleanup();

    const offline = later(agent(`http://127.0.0.1:${await freePort()}`, 'gtw_scripted', { stateDir: first.stateDir }));
    await offline.agent.start();
    expect(offline.agent.appliedVersion).toBe(5);
    expect(await echoRoundTrip(port, 'offline')).toBe('offline');
    cleanups.push(() => first.cleanup());
  });
});
