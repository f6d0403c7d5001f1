import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseIPv4Cidr } from './ipv4.ts';

/**
 * The gateway sync protocol (docs/architecture.md#the-gateway-protocol), shared by the server (which builds and sends
 * it) and the agent (which validates every event against it before touching a socket). Strict objects: a field the
 * agent does not know is a protocol mismatch, not something to ignore silently.
 */

/** Longest listen range the agent accepts; the server's own limit (GATEHOUSE_L4_MAX_PORT_RANGE) is lower. */
export const MAX_RANGE_PORTS = 1000;

const Port = z.number().int().min(1, 'must be between 1 and 65535').max(65535, 'must be between 1 and 65535');
const RouteId = z.number().int().positive();

/** A LAN host: an IP address or a DNS name (resolved and checked by the agent at dial time). */
const LanHost = z
  .string()
  .min(1)
  .max(253)
  .refine(
    (v) =>
      isIP(v) !== 0 ||
      /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/.test(
        v,
      ),
    {
      message: 'must be an IP address or a host name',
    },
  );

export const MacSchema = z
  .string()
  .regex(
    /^[0-9a-fA-F]{2}([:-]?)[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/,
    'must be a MAC address such as aa:bb:cc:dd:ee:ff',
  )
  .meta({ example: 'aa:bb:cc:dd:ee:ff' });

export const GatewayL4RouteSchema = z
  .strictObject({
    route_id: RouteId,
    protocol: z.enum(['tcp', 'udp']),
    /** First listen port on the gateway's tunnel IP (1:1 with the server's listen port). */
    listen_port: Port,
    /** Last port of a range, mapped 1:1 with offset onto the target ports; absent for a single port. */
    listen_port_end: Port.nullable().optional(),
    target_lan_host: LanHost,
    target_lan_port: Port,
    wol_mac: MacSchema.nullable().optional(),
  })
  .superRefine((r, ctx) => {
    const end = r.listen_port_end ?? r.listen_port;
    if (end < r.listen_port)
      ctx.addIssue({ code: 'custom', path: ['listen_port_end'], message: 'must not be below listen_port' });
    if (end - r.listen_port + 1 > MAX_RANGE_PORTS) {
      ctx.addIssue({
        code: 'custom',
        path: ['listen_port_end'],
        message: `a range may span at most ${MAX_RANGE_PORTS} ports`,
      });
    }
    if (r.target_lan_port + (end - r.listen_port) > 65535) {
      ctx.addIssue({ code: 'custom', path: ['target_lan_port'], message: 'the target range would end past 65535' });
    }
  })
  .meta({ id: 'GatewayL4Route' });

export const GatewayHttpForwardSchema = z
  .strictObject({
    route_id: RouteId,
    /** The port on the tunnel IP that Caddy proxies to (allocated by the server). */
    listen_port: Port,
    target_host: LanHost,
    target_port: Port,
    wol_mac: MacSchema.nullable().optional(),
  })
  .meta({ id: 'GatewayHttpForward' });

export const GatewayWolSchema = z
  .strictObject({
    mac: MacSchema,
    /** IPv4 broadcast address of the network the host is on (its LAN network's directed broadcast). */
    broadcast: z.string().refine((v) => isIP(v) === 4, 'must be an IPv4 address'),
  })
  .meta({ id: 'GatewayWol' });

const ConfigBody = {
  /** The address the agent listens on (its WireGuard tunnel IP); null until the gateway has a peer. */
  tunnel_ip: z
    .string()
    .refine((v) => isIP(v) !== 0, 'must be an IP address')
    .nullable(),
  l4_routes: z.array(GatewayL4RouteSchema).max(10_000),
  http_forwards: z.array(GatewayHttpForwardSchema).max(10_000),
  wol: z.array(GatewayWolSchema).max(10_000),
  /**
   * Protocol 2 (sent only to agents that announce it, see AGENT_PROTOCOL_HEADER): the gateway's LAN networks,
   * outside which the agent refuses every target, and the server's tunnel address, the only source the
   * agent accepts forwarded connections from (Caddy's ACL and route login are skipped by anyone else).
   */
  lan_networks: z
    .array(z.string().refine((v) => parseIPv4Cidr(v) !== undefined, 'must be an IPv4 network like 192.168.2.0/24'))
    .max(32)
    .optional(),
  server_tunnel_ip: z
    .string()
    .refine((v) => isIP(v) !== 0, 'must be an IP address')
    .nullable()
    .optional(),
};

/** Request header of an agent that understands protocol 2 (the optional fields above); value `2`. */
export const AGENT_PROTOCOL_HEADER = 'gatehouse-agent-protocol';

/** The `config` event: the gateway's whole configuration, `id:` = version. */
export const GatewayConfigSchema = z
  .strictObject({
    version: z.number().int().nonnegative(),
    /** SHA-256 (hex) of the canonical body, see `gatewayConfigHash`. */
    hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a hex SHA-256'),
    ...ConfigBody,
  })
  .superRefine((config, ctx) => {
    // Two listeners on one port and protocol cannot both bind; refuse the event instead of half-applying it.
    const taken = new Map<string, string>();
    const claim = (key: string, what: string, path: (string | number)[]) => {
      const other = taken.get(key);
      if (other) ctx.addIssue({ code: 'custom', path, message: `${key} is used by ${other} too` });
      else taken.set(key, what);
    };
    config.l4_routes.forEach((r, i) => {
      const end = Math.min(r.listen_port_end ?? r.listen_port, r.listen_port + MAX_RANGE_PORTS - 1);
      for (let p = r.listen_port; p <= end; p++)
        claim(`${r.protocol}/${p}`, `route ${r.route_id}`, ['l4_routes', i, 'listen_port']);
    });
    config.http_forwards.forEach((f, i) => {
      claim(`tcp/${f.listen_port}`, `route ${f.route_id}`, ['http_forwards', i, 'listen_port']);
    });
    if (config.hash !== gatewayConfigHash(config)) {
      ctx.addIssue({ code: 'custom', path: ['hash'], message: 'does not match the configuration it came with' });
    }
  })
  .meta({ id: 'GatewayConfig' });

export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;
export type GatewayConfigBody = Omit<GatewayConfig, 'version' | 'hash'>;
export type GatewayL4Route = z.infer<typeof GatewayL4RouteSchema>;
export type GatewayHttpForward = z.infer<typeof GatewayHttpForwardSchema>;

/** JSON with object keys sorted, so equal configurations hash equally whatever order they were built in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The hash covers the content, not the version: an unrelated version bump leaves it (and the agent) alone. */
export function gatewayConfigHash(config: GatewayConfigBody): string {
  const { tunnel_ip, l4_routes, http_forwards, wol, lan_networks, server_tunnel_ip } = config;
  // Absent protocol-2 fields drop out of `canonical`, so a protocol-1 body hashes as it always did.
  return createHash('sha256')
    .update(canonical({ tunnel_ip, l4_routes, http_forwards, wol, lan_networks, server_tunnel_ip }))
    .digest('hex');
}

/** The same config for a protocol-1 agent (strict schema, no protocol-2 fields), hashed as it expects. */
export function protocolOneConfig(config: GatewayConfig): GatewayConfig {
  if (config.lan_networks === undefined && config.server_tunnel_ip === undefined) return config;
  const { version, hash: _hash, lan_networks: _l, server_tunnel_ip: _s, ...body } = config;
  return buildGatewayConfig(version, body);
}

/** Builds a complete, hashed config event body from its parts. */
export function buildGatewayConfig(version: number, body: GatewayConfigBody): GatewayConfig {
  return { version, hash: gatewayConfigHash(body), ...body };
}

export const ListenerStatusSchema = z
  .strictObject({
    route_id: RouteId,
    port: Port,
    protocol: z.enum(['tcp', 'udp']),
    state: z.enum(['listening', 'failed', 'stopped']),
    error: z.string().max(500).optional(),
  })
  .meta({ id: 'GatewayListenerStatus' });

export const TargetStatusSchema = z
  .strictObject({
    route_id: RouteId,
    reachable: z.boolean(),
    latency_ms: z.number().nonnegative().optional(),
    error: z.string().max(500).optional(),
  })
  .meta({ id: 'GatewayTargetStatus' });

/** `POST /api/v1/gateway/status`: what the agent applied and how its listeners and targets are doing. */
export const GatewayStatusReportSchema = z
  .strictObject({
    applied_version: z.number().int().nonnegative().nullable(),
    listeners: z.array(ListenerStatusSchema).max(20_000),
    targets: z.array(TargetStatusSchema).max(20_000),
  })
  .meta({ id: 'GatewayStatusReport' });

export type GatewayStatusReport = z.infer<typeof GatewayStatusReportSchema>;
export type ListenerStatus = z.infer<typeof ListenerStatusSchema>;
export type TargetStatus = z.infer<typeof TargetStatusSchema>;

/**
 * The agent release this protocol package belongs to (equal to packages/agent/package.json's version, checked by
 * test/unit/agent-version.test.ts). Each agent sends its own copy in AGENT_VERSION_HEADER; the server compares
 * it with its copy to flag agents that need an update (docs/gateway-agent.md, "Updating an agent").
 */
export const AGENT_RELEASE = '0.2.0';
/** Request header with the agent's release (`0.2.0`); agents before 0.2.0 send none. */
export const AGENT_VERSION_HEADER = 'gatehouse-agent-version';
/** The newest gateway protocol. The server speaks every older one down to 1 (protocolOneConfig). */
export const CURRENT_AGENT_PROTOCOL = 2;

/** `1.2.3` → comparable parts; undefined for anything else (an agent's header is untrusted text). */
export function parseRelease(value: string | null | undefined): [number, number, number] | undefined {
  const m = value ? /^(\d{1,4})\.(\d{1,4})\.(\d{1,4})$/.exec(value.trim()) : null;
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** Whether an agent should be updated: it speaks an older protocol, names no release, or an older one. */
export function agentOutdated(agent: { protocol: number | null; version: string | null }): boolean {
  if (agent.protocol === null) return false; // never connected: nothing to say yet
  if (agent.protocol < CURRENT_AGENT_PROTOCOL) return true;
  const mine = parseRelease(agent.version);
  const latest = parseRelease(AGENT_RELEASE)!;
  if (!mine) return true;
  for (let i = 0; i < 3; i++) if (mine[i] !== latest[i]) return mine[i]! < latest[i]!;
  return false;
}
