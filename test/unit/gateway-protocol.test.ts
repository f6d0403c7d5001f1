// Real: the shared zod schemas of the gateway sync protocol and the config hash. Simulated: nothing (plain
// objects stand in for events on the wire).

import {
  buildGatewayConfig,
  GatewayConfigSchema,
  GatewayStatusReportSchema,
  gatewayConfigHash,
} from '@gatehouse/protocol';
import { describe, expect, it } from 'vitest';

const body = {
  tunnel_ip: '10.8.0.5',
  l4_routes: [
    {
      route_id: 1,
      protocol: 'tcp' as const,
      listen_port: 3389,
      target_lan_host: '192.168.2.100',
      target_lan_port: 3389,
    },
    {
      route_id: 2,
      protocol: 'udp' as const,
      listen_port: 27015,
      listen_port_end: 27020,
      target_lan_host: 'game.lan',
      target_lan_port: 27015,
      wol_mac: 'aa:bb:cc:dd:ee:ff',
    },
  ],
  http_forwards: [{ route_id: 3, listen_port: 20000, target_host: '192.168.2.10', target_port: 8080 }],
  wol: [{ mac: 'aa:bb:cc:dd:ee:ff', broadcast: '192.168.2.255' }],
};

describe('gateway config event', () => {
  it('accepts a well-formed config', () => {
    expect(GatewayConfigSchema.parse(buildGatewayConfig(7, body))).toMatchObject({ version: 7 });
  });

  it('hashes the content, not the version or key order', () => {
    const reordered = {
      wol: body.wol,
      http_forwards: body.http_forwards,
      l4_routes: body.l4_routes,
      tunnel_ip: body.tunnel_ip,
    };
    expect(gatewayConfigHash(reordered)).toBe(gatewayConfigHash(body));
    expect(buildGatewayConfig(1, body).hash).toBe(buildGatewayConfig(2, body).hash);
    expect(gatewayConfigHash({ ...body, tunnel_ip: '10.8.0.6' })).not.toBe(gatewayConfigHash(body));
  });

  it.each([
    ['a hash that does not match', (c: Record<string, unknown>) => ({ ...c, hash: '0'.repeat(64) }), 'hash'],
    ['an unknown field', (c: Record<string, unknown>) => ({ ...c, extra: 1 }), ''],
    [
      'two listeners on one port',
      () =>
        buildGatewayConfig(1, {
          ...body,
          http_forwards: [{ route_id: 9, listen_port: 3389, target_host: 'x.lan', target_port: 1 }],
        }),
      'http_forwards.0.listen_port',
    ],
    [
      'a range past 65535 on the target side',
      () =>
        buildGatewayConfig(1, {
          ...body,
          l4_routes: [
            {
              route_id: 4,
              protocol: 'tcp',
              listen_port: 100,
              listen_port_end: 110,
              target_lan_host: 'a',
              target_lan_port: 65530,
            },
          ],
        }),
      'l4_routes.0.target_lan_port',
    ],
    [
      'a bad MAC',
      () => buildGatewayConfig(1, { ...body, wol: [{ mac: 'nope', broadcast: '192.168.2.255' }] }),
      'wol.0.mac',
    ],
    [
      'a port of 0',
      () =>
        buildGatewayConfig(1, {
          ...body,
          l4_routes: [{ route_id: 4, protocol: 'tcp', listen_port: 0, target_lan_host: 'a', target_lan_port: 1 }],
        }),
      'l4_routes.0.listen_port',
    ],
  ])('rejects %s', (_name, mutate, path) => {
    const result = GatewayConfigSchema.safeParse(
      mutate(buildGatewayConfig(1, body) as unknown as Record<string, unknown>),
    );
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});

describe('gateway status report', () => {
  it('accepts listener states and target probes', () => {
    const report = {
      applied_version: 3,
      listeners: [{ route_id: 1, port: 3389, protocol: 'tcp', state: 'failed', error: 'EADDRINUSE' }],
      targets: [{ route_id: 1, reachable: true, latency_ms: 1.5 }],
    };
    expect(GatewayStatusReportSchema.parse(report)).toEqual(report);
    expect(
      GatewayStatusReportSchema.safeParse({ ...report, listeners: [{ ...report.listeners[0], state: 'odd' }] }).success,
    ).toBe(false);
  });
});
