// Real: the control plane's HTTP app with a real gateway hub on 127.0.0.1 (test/helpers/gateway.ts), the last
// released agent (test/fixtures/agent-0.1.0: a frozen copy, protocol 2, no version header) and the current agent,
// each forwarding a real TCP connection to an echo server. Simulated: the config source is scripted.
import { readFileSync } from 'node:fs';
import { AGENT_RELEASE, agentOutdated, parseRelease } from '@gatehouse/protocol';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateways } from '../../src/db/schema/index.ts';
import { Agent as ReleasedAgent } from '../fixtures/agent-0.1.0/agent/agent.ts';
import { agentConfigSchema as releasedConfig } from '../fixtures/agent-0.1.0/agent/config.ts';
import { tempDir } from '../helpers/env.ts';
import { agent, controlPlane, emptyBody } from '../helpers/gateway.ts';
import { echoServer, freePort, tcpRoundTrip } from '../helpers/net.ts';
import { waitFor } from '../helpers/wait.ts';

let cp: Awaited<ReturnType<typeof controlPlane>>;
beforeAll(async () => {
  cp = await controlPlane();
});
afterAll(() => cp.cleanup());

const row = async (id: number) => (await cp.db.db.select().from(gateways).where(eq(gateways.id, id)))[0]!;

describe('agent versions', () => {
  it('the last released agent (0.1.0) still works against this server, which flags it outdated', async () => {
    const gw = await cp.newGateway('released');
    const echo = await echoServer('v1:');
    const listen = await freePort();
    const state = tempDir('gatehouse-released-agent-');
    const released = new ReleasedAgent({
      config: releasedConfig.parse({
        server: cp.url,
        token: gw.token,
        state_dir: state.dir,
        listen_host: '127.0.0.1',
        allow_loopback_targets: true,
        log_level: 'silent',
        status_interval_seconds: 60,
      }),
      logger: pino({ level: 'silent' }),
      probeTimeoutMs: 500,
      sse: { retryMs: 200, maxRetryMs: 2_000, idleTimeoutMs: 10_000 },
      reconciler: { retireGraceMs: 1_000 },
    });
    try {
      await released.start();
      await cp.change({
        [gw.row.id]: {
          ...emptyBody(),
          lan_networks: ['127.0.0.0/8'],
          server_tunnel_ip: '127.0.0.1',
          l4_routes: [
            {
              route_id: 1,
              protocol: 'tcp',
              listen_port: listen,
              target_lan_host: '127.0.0.1',
              target_lan_port: echo.port,
            },
          ],
        },
      });
      expect(
        await waitFor(
          'released agent forwarding',
          () => tcpRoundTrip(listen, 'hi').catch(() => undefined),
          10_000,
          100,
        ),
      ).toBe('v1:hi');
      const seen = await row(gw.row.id);
      expect({ version: seen.agentVersion, protocol: seen.agentProtocol }).toEqual({ version: null, protocol: 2 });
      expect(agentOutdated({ version: seen.agentVersion, protocol: seen.agentProtocol })).toBe(true);
    } finally {
      await released.stop();
      state.cleanup();
      await echo.close();
    }
  });

  it('the current agent announces its release and is not flagged', async () => {
    const gw = await cp.newGateway('current');
    const a = agent(cp.url, gw.token);
    try {
      await a.agent.start();
      await waitFor('connected', async () => ((await row(gw.row.id)).agentProtocol ? true : undefined), 10_000, 50);
      const seen = await row(gw.row.id);
      expect({ version: seen.agentVersion, protocol: seen.agentProtocol }).toEqual({
        version: AGENT_RELEASE,
        protocol: 2,
      });
      expect(agentOutdated({ version: seen.agentVersion, protocol: seen.agentProtocol })).toBe(false);
    } finally {
      await a.cleanup();
    }
  });

  it('keeps a hostile version header out (stored as none) and still serves the stream', async () => {
    const gw = await cp.newGateway('hostile');
    for (const value of ['<script>alert(1)</script>', '9'.repeat(500), '1.2', '1.2.3.4', '01.2.3-evil']) {
      const ac = new AbortController();
      const res = await fetch(`${cp.url}/api/v1/gateway/events`, {
        headers: {
          authorization: `Bearer ${gw.token}`,
          'gatehouse-agent-version': value,
          'gatehouse-agent-protocol': '2',
        },
        signal: ac.signal,
      });
      expect(res.status).toBe(200);
      ac.abort();
      expect((await row(gw.row.id)).agentVersion).toBeNull();
    }
  });

  it('compares releases and protocols; the protocol package names the agent package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../packages/agent/package.json', import.meta.url), 'utf8'));
    expect(AGENT_RELEASE).toBe(pkg.version);
    expect(parseRelease(' 0.2.0 ')).toEqual([0, 2, 0]);
    expect(agentOutdated({ protocol: null, version: null })).toBe(false);
    expect(agentOutdated({ protocol: 1, version: AGENT_RELEASE })).toBe(true);
    expect(agentOutdated({ protocol: 2, version: '0.1.9' })).toBe(true);
    expect(agentOutdated({ protocol: 2, version: '0.10.0' })).toBe(false);
    expect(agentOutdated({ protocol: 2, version: 'garbage' })).toBe(true);
  });
});
