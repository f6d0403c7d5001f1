// Item 5 of issue 13: an agent accepts forwarded connections (TCP) and datagrams (UDP) only from the server's
// tunnel address, so a VPN peer cannot dial the forwarding port and skip Caddy's ACL and route login.
// Real: the control plane's SSE hub, a real agent (SSE client, reconciler, forwarders), sockets on loopback.
// Simulated: the tunnel — the "server address" is the loopback alias 127.0.0.2, the "VPN peer" is 127.0.0.3
// (the whole of 127.0.0.0/8 is local on Linux, so a client can bind either as its source).
import dgram from 'node:dgram';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, controlPlane, emptyBody } from '../helpers/gateway.ts';
import { echoServer, freePort, udpEcho } from '../helpers/net.ts';
import { waitFor } from '../helpers/wait.ts';

let cp: Awaited<ReturnType<typeof controlPlane>>;
let gw: ReturnType<typeof agent>;
const closers: (() => Promise<void>)[] = [];
let tcpPort: number;
let udpPort: number;

beforeAll(async () => {
  cp = await controlPlane();
  const created = await cp.newGateway('source-filter');
  const lan = await echoServer('lan:');
  const lanUdp = await udpEcho('lan:');
  closers.push(lan.close, lanUdp.close);
  tcpPort = await freePort();
  udpPort = await freePort();
  cp.source.bodies.set(created.row.id, {
    ...emptyBody(),
    server_tunnel_ip: '127.0.0.2',
    l4_routes: [
      { route_id: 1, protocol: 'tcp', listen_port: tcpPort, target_lan_host: '127.0.0.1', target_lan_port: lan.port },
      {
        route_id: 2,
        protocol: 'udp',
        listen_port: udpPort,
        target_lan_host: '127.0.0.1',
        target_lan_port: lanUdp.port,
      },
    ],
  });
  gw = agent(cp.url, created.token);
  await gw.agent.start();
  await waitFor('the agent to apply its config', async () => gw.agent.appliedVersion, 10_000, 50);
});
afterAll(async () => {
  await gw?.cleanup();
  for (const close of closers) await close().catch(() => {});
  await cp?.cleanup();
});

/** Sends `ping` from `source` and resolves with what came back before the close or a 1.5 s quiet spell. */
function tcpFrom(source: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: source });
    let got = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, 1_500);
    socket.on('connect', () => socket.write('ping'));
    socket.on('data', (d) => {
      got += d.toString();
      if (got.length >= 'lan:ping'.length) done();
    });
    socket.on('error', () => {});
    socket.on('close', done);
  });
}

function udpFrom(source: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve('');
    }, 1_500);
    socket.on('message', (m) => {
      clearTimeout(timer);
      socket.close();
      resolve(m.toString());
    });
    socket.bind(0, source, () => socket.send('ping', port, '127.0.0.1'));
  });
}

const errors = (route: number) => gw.agent.metrics.route(route).errors;

describe('forwarded traffic from anyone but the server', () => {
  it('TCP: the server address is served, a VPN peer is refused and counted', async () => {
    expect(await tcpFrom('127.0.0.2', tcpPort)).toBe('lan:ping');
    expect(await tcpFrom('127.0.0.3', tcpPort)).toBe('');
    expect(errors(1).source_refused).toBe(1);
  });

  it('UDP: the server address is served, a VPN peer gets no session and is counted', async () => {
    expect(await udpFrom('127.0.0.2', udpPort)).toBe('lan:ping');
    expect(await udpFrom('127.0.0.3', udpPort)).toBe('');
    expect(errors(2).source_refused).toBeGreaterThanOrEqual(1);
    expect((gw.agent.reconciler.forwarderAt('udp', udpPort) as { sessionCount: number }).sessionCount).toBe(1);
  });
});
