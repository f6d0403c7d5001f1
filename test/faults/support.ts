import net from 'node:net';
import { SseClient } from '@gatehouse/agent';
import { type GatewayConfig, GatewayConfigSchema } from '@gatehouse/protocol';
import pino from 'pino';

/**
 * A TCP proxy on 127.0.0.1 that the test can freeze: `freeze('drop')` keeps every open connection open but
 * forwards nothing more from the server to the client (the server's packets vanish, no FIN, no RST);
 * `freeze('stall')` stops reading from the server side (a client that stopped reading: the server's writes
 * back up). Connections made after a freeze pass normally.
 */
export async function freezableProxy(targetPort: number) {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket; frozen: boolean }>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair = { client, upstream, frozen: false };
    pairs.add(pair);
    client.on('data', (d) => pair.frozen || upstream.write(d));
    upstream.on('data', (d) => pair.frozen || client.write(d));
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    get open() {
      return pairs.size;
    },
    /** Freezes the connections open now; returns how many. */
    freeze(mode: 'drop' | 'stall'): number {
      for (const p of pairs) {
        p.frozen = true;
        if (mode === 'stall') p.upstream.pause();
      }
      return pairs.size;
    },
    async close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A bare SseClient (the agent's event stream without its reconciler) that records what it saw and when. */
export function streamClient(
  url: string,
  token: string,
  opts: { retryMs?: number; maxRetryMs?: number; random?: () => number } = {},
) {
  const seen = {
    version: 0,
    config: undefined as GatewayConfig | undefined,
    connects: [] as number[],
    disconnects: [] as number[],
    /** When each connection attempt started (the client's own fetch calls). */
    attempts: [] as number[],
  };
  const client = new SseClient({
    url: `${url}/api/v1/gateway/events`,
    token,
    logger: pino({ level: 'silent' }),
    lastEventId: () => (seen.version > 0 ? String(seen.version) : undefined),
    onConfig: async (config) => {
      GatewayConfigSchema.parse(config);
      seen.version = config.version;
      seen.config = config;
    },
    onFatal: () => {},
    onConnection: (state) => (state === 'connected' ? seen.connects : seen.disconnects).push(performance.now()),
    fetch: (input, init) => {
      seen.attempts.push(performance.now());
      return fetch(input, init);
    },
    ...opts,
  });
  client.start();
  return { client, seen, stop: () => client.stop() };
}
