// Real: the control plane in-process with the real Caddy binary (its admin metrics scraped over the unix
// socket), a gateway agent serving its own /metrics, Prometheus' promtool (Debian package `prometheus`) run on
// both outputs, docs/grafana-dashboard.json. Skips promtool with a printed reason where it is not installed.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { agentConfigSchema, Agent as GatewayAgent } from '@gatehouse/agent';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/env.ts';
import { freePort } from '../helpers/net.ts';
import { type Stack, startStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait.ts';

const TOKEN = 'metrics-token-0123456789abcdef';
const promtool = spawnSync('promtool', ['--version']).status === 0;
if (!promtool)
  console.log('metrics-live: promtool not installed (Debian package prometheus); the promtool checks are skipped');

let stack: Stack;
let metricsPort: number;
let agentPort: number;
let gatewayAgent: GatewayAgent;
const agentState = tempDir('gatehouse-agent-');

beforeAll(async () => {
  metricsPort = await freePort();
  stack = await startStack({ GATEHOUSE_METRICS_TOKEN: TOKEN, GATEHOUSE_METRICS_LISTEN: `127.0.0.1:${metricsPort}` });
  // Traffic, so that the data plane's series have samples: one route, one request through Caddy.
  const route = await stack.request('POST', '/api/v1/routes', {
    domain: 'm.gatehouse.test',
    target_host: '127.0.0.1',
    target_port: 9,
  });
  expect(route.status, JSON.stringify(route.body)).toBe(201);
  await new Promise<void>((resolve) => {
    const s = tls.connect(
      { port: stack.httpsPort, host: '127.0.0.1', servername: 'm.gatehouse.test', ca: stack.caRoot() },
      () => s.write('GET / HTTP/1.1\r\nHost: m.gatehouse.test\r\nConnection: close\r\n\r\n'),
    );
    s.on('data', () => {});
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
  // and one L4 connection (its target refuses: the connection still counts)
  const l4Port = await freePort();
  const l4 = await stack.request('POST', '/api/v1/routes', {
    type: 'l4',
    l4_listen_port: l4Port,
    target_host: '127.0.0.1',
    target_port: 9,
  });
  expect(l4.status, JSON.stringify(l4.body)).toBe(201);
  await new Promise<void>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: l4Port }, () => s.write('x'));
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
  const gw = await stack.request('POST', '/api/v1/gateways', { name: 'lan-box', lan_networks: ['192.168.1.0/24'] });
  expect(gw.status, JSON.stringify(gw.body)).toBe(201);
  agentPort = await freePort();
  gatewayAgent = new GatewayAgent({
    config: agentConfigSchema.parse({
      server: stack.server.url,
      token: gw.body.token,
      state_dir: agentState.dir,
      listen_host: '127.0.0.1',
      log_level: 'silent',
      metrics_listen: String(agentPort), // a bare port: loopback
    }),
    logger: pino({ level: 'silent' }),
  });
  await gatewayAgent.start();
});
afterAll(async () => {
  await gatewayAgent?.stop();
  await stack?.stop();
  agentState.cleanup();
});

function check(text: string): void {
  if (!promtool) return;
  const out = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  // promtool exits 1 for lint problems too; its output says which (an empty output means clean).
  expect(`${out.stdout}${out.stderr}`.trim(), 'promtool check metrics').toBe('');
  expect(out.status).toBe(0);
}

describe('/metrics', () => {
  it('on the main listener only with the bearer token', async () => {
    expect((await fetch(`${stack.server.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${stack.server.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(`${stack.server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('text/plain');
  });

  it("has the control plane's, the data plane's and the gateways' series, and passes promtool", async () => {
    const text = await waitFor(
      'data-plane series',
      async () => {
        const t = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        return t.includes('gatehouse_decisions_total{') && t.includes('gatehouse_cp_gateway_online{') ? t : undefined;
      },
      15_000,
    );
    for (const name of [
      'gatehouse_cp_http_request_duration_seconds_count',
      'gatehouse_cp_db_call_duration_seconds_count',
      'gatehouse_cp_sse_connections',
      'gatehouse_cp_gateway_online',
      'gatehouse_cp_gateway_drift',
      'gatehouse_cp_gateway_listeners',
      'gatehouse_snapshot_version',
      'gatehouse_swap_duration_seconds_count',
      'gatehouse_decisions_total',
      'gatehouse_l4_connections_total',
      'gatehouse_l4_connections_open',
    ]) {
      expect(text, name).toContain(name);
    }
    expect(text).toMatch(/gatehouse_cp_gateway_online\{gateway="lan-box"\} 1/);
    expect(text).not.toContain('go_goroutines'); // Caddy's own runtime series stay on its socket
    check(text);
    // the separate listener serves /metrics only
    expect((await fetch(`http://127.0.0.1:${metricsPort}/api/v1/me`)).status).toBe(404);
  });

  it("the agent's own /metrics, on loopback, passes promtool", async () => {
    const text = await (await fetch(`http://127.0.0.1:${agentPort}/metrics`)).text();
    expect(text).toContain('gatehouse_gateway_');
    check(text);
  });

  it('the Grafana dashboard is valid JSON and every metric it queries exists', async () => {
    const dashboard = JSON.parse(readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8'));
    const exprs: string[] = dashboard.panels.flatMap((p: { targets?: { expr: string }[] }) =>
      (p.targets ?? []).map((t) => t.expr),
    );
    expect(exprs.length).toBeGreaterThan(5);
    const server = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const agent = await (await fetch(`http://127.0.0.1:${agentPort}/metrics`)).text();
    const families = new Set(
      `${server}\n${agent}`
        .split('\n')
        .filter((l) => l.startsWith('# TYPE '))
        .flatMap((l) => {
          const [, , name = '', type] = l.split(' ');
          return type === 'histogram' ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name];
        }),
    );
    for (const expr of exprs) {
      const names = expr.match(/gatehouse_[a-z0-9_]+/g) ?? [];
      expect(names.length, expr).toBeGreaterThan(0);
      for (const n of names) expect(families.has(n), `${n} in ${expr}`).toBe(true);
    }
  });
});
