import type { AddressInfo } from 'node:net';
import { agentConfigSchema, Agent as GatewayAgent, type AgentOptions as GatewayAgentOptions } from '@gatehouse/agent';
import { buildGatewayConfig, type GatewayConfig, type GatewayConfigBody } from '@gatehouse/protocol';
import { type ServerType, serve } from '@hono/node-server';
import pino from 'pino';
import { createApp } from '../../src/app.ts';
import { createGateway } from '../../src/services/gateways/create.ts';
import type { GatewayConfigSource } from '../../src/sync/gateway-config-source.ts';
import { GatewayHub } from '../../src/sync/gateway-hub.ts';
import { silentLogger, systemContext, tempDir, testDb } from './env.ts';

export const emptyBody = (): GatewayConfigBody => ({
  tunnel_ip: '127.0.0.1',
  l4_routes: [],
  http_forwards: [],
  wol: [],
});

/** A config source the test sets directly (the routes compiler stands here in production). */
export class ScriptedSource implements GatewayConfigSource {
  version = 1;
  bodies = new Map<number, GatewayConfigBody>();
  /** When each gateway's config was asked for: one call per (re)connect and per publish. */
  calls: { gatewayId: number; at: number }[] = [];

  async configFor(gatewayId: number): Promise<GatewayConfig> {
    this.calls.push({ gatewayId, at: performance.now() });
    return buildGatewayConfig(this.version, this.bodies.get(gatewayId) ?? emptyBody());
  }
}

/**
 * The control plane's HTTP app with a real gateway hub, served on 127.0.0.1 (port 0 the first time, the
 * same port after `restart()`), over a temp-file libSQL database.
 */
export async function controlPlane(opts: { retryMs?: number; pingIntervalMs?: number } = {}) {
  const db = await testDb();
  const source = new ScriptedSource();
  let hub: GatewayHub;
  let server: ServerType | undefined;
  let port = 0;
  const listen = async () => {
    hub = new GatewayHub({
      source,
      logger: silentLogger,
      retryMs: opts.retryMs ?? 300,
      pingIntervalMs: opts.pingIntervalMs ?? 5_000,
    });
    hub.start();
    const app = createApp({
      db: db.db,
      config: db.config,
      logger: silentLogger,
      now: () => new Date(),
      health: async () => ({
        status: 'ok',
        db: { state: 'ok' },
        caddy: { state: 'disabled' },
        wireguard: { state: 'unavailable' },
      }),
      gatewaySync: { hub, source },
    });
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, () => resolve(s));
    });
    port = (server.address() as AddressInfo).port;
  };
  const close = async () => {
    await hub.stop();
    const s = server;
    server = undefined;
    if (s) {
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        (s as unknown as { closeAllConnections: () => void }).closeAllConnections();
      });
    }
  };
  await listen();
  return {
    db,
    source,
    get hub() {
      return hub;
    },
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    async newGateway(name: string) {
      return createGateway({ ctx: systemContext(db), input: { name, lan_networks: [] } });
    },
    /** A new config version for the given gateways' bodies, published as the write path would. */
    async change(bodies: Record<number, GatewayConfigBody>) {
      source.version++;
      for (const [id, body] of Object.entries(bodies)) source.bodies.set(Number(id), body);
      await hub.publish(source.version);
    },
    close,
    listen,
    async cleanup() {
      await close();
      db.cleanup();
    },
  };
}

/** An agent on loopback with fast timers, its state in a temp dir. */
export function agent(server: string, token: string, extra: Partial<GatewayAgentOptions> & { stateDir?: string } = {}) {
  const state = extra.stateDir ? { dir: extra.stateDir, cleanup: () => {} } : tempDir('gatehouse-agent-');
  const config = agentConfigSchema.parse({
    server,
    token,
    state_dir: state.dir,
    listen_host: '127.0.0.1',
    // LAN targets in these tests are loopback services: the agent's own opt-in (never the server's).
    allow_loopback_targets: true,
    log_level: 'silent',
    status_interval_seconds: 60,
  });
  const a = new GatewayAgent({
    config,
    logger: pino({ level: 'silent' }),
    probeTimeoutMs: 500,
    sse: { retryMs: 200, maxRetryMs: 2_000, idleTimeoutMs: 10_000 },
    reconciler: { retireGraceMs: 1_000 },
    ...extra,
  });
  return {
    agent: a,
    stateDir: state.dir,
    cleanup: async () => {
      await a.stop();
      state.cleanup();
    },
  };
}
