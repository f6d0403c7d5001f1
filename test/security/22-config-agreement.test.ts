// Issue 13 item 22: "database = Caddy = agents" is one call. Real: the whole server with the real Caddy binary
// (its module reports the applied snapshot's version and hash) and a real gateway agent over HTTP/SSE on
// loopback. Simulated: nothing.
import { agentConfigSchema, Agent as GatewayAgent } from '@gatehouse/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, tempDir } from '../helpers/env.ts';
import { type Stack, startStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait.ts';

let stack: Stack;
let agent: GatewayAgent | undefined;
const stateDir = tempDir('gatehouse-agent-');
let gateway: { id: number; token: string };

interface Agreement {
  agrees: boolean;
  database: { version: number; hash: string };
  caddy: { reachable: boolean; version: number | null; hash: string | null; agrees: boolean };
  agents: { gateway_id: number; applied_version: number | null; agrees: boolean }[];
}
const agreement = async () => {
  const res = await stack.request('GET', '/api/v1/status/agreement');
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as Agreement;
};
const startAgent = async () => {
  agent = new GatewayAgent({
    config: agentConfigSchema.parse({
      server: stack.server.url,
      token: gateway.token,
      state_dir: stateDir.dir,
      listen_host: '127.0.0.1',
      status_interval_seconds: 1,
    }),
    logger: silentLogger,
  });
  await agent.start();
};

beforeAll(async () => {
  stack = await startStack({ GATEHOUSE_WG_ADDRESS: '127.0.0.1/24' });
  const created = await stack.request('POST', '/api/v1/gateways', { name: 'home', lan_networks: ['127.0.0.0/24'] });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  gateway = created.body as typeof gateway;
  await startAgent();
});
afterAll(async () => {
  await agent?.stop();
  await stack?.stop();
  stateDir.cleanup();
});

describe('item 22: GET /api/v1/status/agreement', () => {
  it('shows the database hash, the hash Caddy applied and each agent version, and whether they agree', async () => {
    const route = await stack.request('POST', '/api/v1/routes', {
      domain: 'agree.example.test',
      target_kind: 'direct',
      target_host: '127.0.0.1',
      target_port: 8080,
    });
    expect(route.status, JSON.stringify(route.body)).toBe(201);

    const agreed = await waitFor('database, Caddy and the agent to agree', async () => {
      const a = await agreement();
      return a.agrees ? a : undefined;
    });
    expect(agreed.database.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(agreed.caddy).toMatchObject({ reachable: true, version: agreed.database.version, agrees: true });
    expect(agreed.caddy.hash).toBe(agreed.database.hash);
    expect(agreed.agents).toEqual([
      expect.objectContaining({ gateway_id: gateway.id, applied_version: agreed.database.version, agrees: true }),
    ]);
    // The module's own answer is what the API shows (read straight from the admin socket).
    const state = await stack.server.caddy!.admin.request<{ version: number; hash: string }>(
      'GET',
      '/gatehouse/v1/state',
    );
    expect(state.body).toMatchObject({ version: agreed.database.version, hash: agreed.database.hash });
  });

  it('shows an agent that is behind, and agreement again once it catches up', async () => {
    await agent!.stop();
    agent = undefined;
    const before = await agreement();
    const changed = await stack.request('POST', '/api/v1/routes', {
      domain: 'behind.example.test',
      target_kind: 'direct',
      target_host: '127.0.0.1',
      target_port: 8081,
    });
    expect(changed.status).toBe(201);
    const behind = await agreement();
    expect(behind.database.version).toBeGreaterThan(before.database.version);
    expect(behind.database.hash).not.toBe(before.database.hash);
    expect(behind.caddy.hash).toBe(behind.database.hash);
    expect(behind.agents[0]).toMatchObject({ applied_version: before.database.version, agrees: false });
    expect(behind.agrees).toBe(false);

    await startAgent();
    const again = await waitFor('the agent to catch up', async () => {
      const a = await agreement();
      return a.agrees ? a : undefined;
    });
    expect(again.agents[0]!.applied_version).toBe(again.database.version);
  });

  it('is in the OpenAPI document', async () => {
    // The reference needs a login (item 20): the stack's request carries its admin token.
    const doc = await stack.request('GET', '/api/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys((doc.body as { paths: Record<string, unknown> }).paths)).toContain('/status/agreement');
  });
});
