// Issue 21, agent side of several edges: a list of control-plane URLs, the event stream moving to the next edge
// at once when one dies, and the source guard accepting every edge's tunnel address. Real: the agent's config
// loader, SseClient over fetch against two loopback HTTP servers, the agent reconciler's guard. Simulated: the
// two edges (minimal event-stream servers).
import { createServer, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentConfigError, loadAgentConfig } from '../../packages/agent/src/config.ts';
import { AgentReconciler } from '../../packages/agent/src/reconciler.ts';
import { SseClient } from '../../packages/agent/src/sse-client.ts';
import { silentLogger } from '../helpers/env.ts';

const TOKEN = 'gtw_0123456789abcdef0123456789abcdef';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An "edge" that opens the event stream and pings every 200 ms. */
async function edge(): Promise<{ url: string; hits: () => number; kill: () => Promise<void> }> {
  const open = new Set<ServerResponse>();
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('event: ping\ndata: 200\n\n');
    open.add(res);
    const timer = setInterval(() => res.write('event: ping\ndata: 200\n\n'), 200);
    req.on('close', () => {
      clearInterval(timer);
      open.delete(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  let killed = false;
  const kill = async () => {
    if (killed) return;
    killed = true;
    for (const res of open) res.socket?.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  cleanups.push(kill);
  return { url: `http://127.0.0.1:${port}`, hits: () => hits, kill };
}

describe('agent configuration: several control planes', () => {
  it('takes a comma-separated list, normalises each URL, and keeps one URL working', () => {
    const many = loadAgentConfig({
      env: {
        GATEHOUSE_GATEWAY_SERVER: ' https://a.example.com/ , https://b.example.com',
        GATEHOUSE_GATEWAY_TOKEN: TOKEN,
      },
    });
    expect(many.server).toEqual(['https://a.example.com', 'https://b.example.com']);
    const one = loadAgentConfig({ flags: { server: 'https://gate.example.com', token: TOKEN } });
    expect(one.server).toEqual(['https://gate.example.com']);
  });

  it('names the bad entry and refuses hostile lists', () => {
    const bad = (server: string) => () =>
      loadAgentConfig({ env: { GATEHOUSE_GATEWAY_SERVER: server, GATEHOUSE_GATEWAY_TOKEN: TOKEN } });
    expect(bad('https://a.example.com,ftp://b')).toThrow(/GATEHOUSE_GATEWAY_SERVER.*http/);
    expect(bad(Array.from({ length: 17 }, (_, i) => `https://e${i}.example.com`).join(','))).toThrow(/at most 16/);
    expect(bad(`https://${'a'.repeat(3000)}.com`)).toThrow(AgentConfigError);
    expect(bad(',,,')).toThrow(/at least one URL/);
  });

  it('edge tunnel addresses must be IP addresses', () => {
    const base = { GATEHOUSE_GATEWAY_SERVER: 'https://a.example.com', GATEHOUSE_GATEWAY_TOKEN: TOKEN };
    expect(
      loadAgentConfig({ env: { ...base, GATEHOUSE_GATEWAY_EDGE_ADDRESSES: '10.8.0.1, 10.9.0.1' } })
        .edge_tunnel_addresses,
    ).toEqual(['10.8.0.1', '10.9.0.1']);
    expect(() =>
      loadAgentConfig({ env: { ...base, GATEHOUSE_GATEWAY_EDGE_ADDRESSES: '10.8.0.1,evil.example' } }),
    ).toThrow(/GATEHOUSE_GATEWAY_EDGE_ADDRESSES: must be an IP address/);
  });
});

describe('event stream failover between edges', () => {
  it('moves to the next edge at once when the one it follows dies', async () => {
    const a = await edge();
    const b = await edge();
    const events: { state: string; at: number }[] = [];
    const client = new SseClient({
      url: [`${a.url}/api/v1/gateway/events`, `${b.url}/api/v1/gateway/events`],
      token: TOKEN,
      logger: silentLogger,
      lastEventId: () => undefined,
      onConfig: async () => {},
      onFatal: () => {},
      onConnection: (state) => events.push({ state, at: Date.now() }),
      retryMs: 2_000, // the backoff a single edge would wait: failover must not pay it
    });
    cleanups.push(() => client.stop());
    client.start();
    await until(() => events.some((e) => e.state === 'connected'));
    expect(a.hits()).toBe(1);
    const killedAt = Date.now();
    await a.kill();
    await until(() => b.hits() > 0 && client.connected);
    const failover = Date.now() - killedAt;
    process.stdout.write(`agent event-stream failover A → B: ${failover} ms\n`);
    expect(failover).toBeLessThan(500);
    expect(client.url).toBe(`${b.url}/api/v1/gateway/events`);
  });

  it('backs off once every edge has failed in a row', async () => {
    const a = await edge();
    const b = await edge();
    await a.kill();
    await b.kill();
    const client = new SseClient({
      url: [`${a.url}/x`, `${b.url}/x`],
      token: TOKEN,
      logger: silentLogger,
      lastEventId: () => undefined,
      onConfig: async () => {},
      onFatal: () => {},
      retryMs: 60_000,
    });
    cleanups.push(() => client.stop());
    client.start();
    await new Promise((r) => setTimeout(r, 300));
    // Two tries (one per edge) without waiting, then the backoff: not a tight loop.
    expect(client.reconnects).toBe(2);
  });
});

describe('the source guard with several edges', () => {
  it('accepts forwarded traffic from every edge tunnel address, and nothing else', () => {
    const reconciler = new AgentReconciler({ logger: silentLogger, edgeTunnelAddresses: ['10.8.0.1', '10.9.0.1'] });
    (reconciler as unknown as { current: unknown }).current = { server_tunnel_ip: '10.8.0.1' };
    expect(reconciler.acceptsFrom('10.8.0.1')).toBe(true);
    expect(reconciler.acceptsFrom('::ffff:10.9.0.1')).toBe(true);
    expect(reconciler.acceptsFrom('10.8.0.7')).toBe(false);
    expect(reconciler.acceptsFrom(undefined)).toBe(false);
  });
});

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
