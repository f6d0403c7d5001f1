// Two gateway agents in one process for a pooled route over loopback: the VPN subnet is 127.0.0.0/24 with
// WireGuard off (startStack with GATEHOUSE_WG_ADDRESS 127.0.0.1/24), so each gateway's tunnel address is a
// loopback address of its own that Caddy dials directly and its agent listens on (as in
// test/integration/gateway-routes-live.test.ts). test/e2e/pools.test.ts runs pools through real WireGuard.
import { Agent, agentConfigSchema } from '@gatehouse/agent';
import { expect } from 'vitest';
import { silentLogger, tempDir } from './env.ts';
import type { Stack } from './stack.ts';

export interface LoopbackGateway {
  id: number;
  name: string;
  tunnelIp: string;
  agent: Agent;
}

/** Creates a gateway (with its peer) per name and starts its agent; `stop` stops the agents and removes state. */
export async function loopbackGateways(stack: Stack, names: string[]) {
  const made: LoopbackGateway[] = [];
  const dirs: ReturnType<typeof tempDir>[] = [];
  const stop = async () => {
    for (const g of made) await g.agent.stop().catch(() => {});
    for (const d of dirs) d.cleanup();
  };
  try {
    for (const name of names) {
      const peer = await stack.request('POST', '/api/v1/peers', { name: `${name}-peer`, is_gateway: true });
      expect(peer.status, JSON.stringify(peer.body)).toBe(201);
      const gw = await stack.request('POST', '/api/v1/gateways', {
        name,
        peer_id: peer.body.id,
        lan_networks: ['127.0.0.0/24'],
      });
      expect(gw.status, JSON.stringify(gw.body)).toBe(201);
      const dir = tempDir('gatehouse-agent-');
      dirs.push(dir);
      const agent = new Agent({
        config: agentConfigSchema.parse({
          server: stack.server.url,
          token: gw.body.token,
          state_dir: dir.dir,
          status_interval_seconds: 1,
          allow_loopback_targets: true,
        }),
        logger: silentLogger,
      });
      await agent.start();
      made.push({ id: gw.body.id, name, tunnelIp: peer.body.address, agent });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { gateways: made, stop };
}

/** A pooled route body over the gateways, every member to the same LAN host and port. */
export function pooledRoute(
  gateways: LoopbackGateway[],
  lanPort: number,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const [first, ...rest] = gateways;
  return {
    target_kind: 'gateway',
    gateway_id: first!.id,
    target_lan_host: '127.0.0.1',
    target_lan_port: lanPort,
    pool: {
      mode: 'balance',
      balance: 'round_robin',
      members: rest.map((g) => ({ gateway_id: g.id, target_lan_host: '127.0.0.1', target_lan_port: lanPort })),
      healthy_after: 1,
      check_interval_seconds: 1,
    },
    ...extra,
  };
}
