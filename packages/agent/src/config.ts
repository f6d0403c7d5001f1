import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';

/** Gateway tokens carry this prefix (API tokens have `gth_`), so a pasted token of the wrong kind is caught. */
export const GATEWAY_TOKEN_PREFIX = 'gtw_';

/** Thrown for a bad agent configuration; the message names each setting, where it came from, and why. */
export class AgentConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid gateway configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'AgentConfigError';
  }
}

const controlPlaneUrl = z
  .string()
  .trim()
  .max(2048, 'must be at most 2048 characters')
  .url('must be a URL such as https://gate.example.com')
  .refine((v) => /^https?:\/\//.test(v), 'must start with http:// or https://')
  .transform((v) => v.replace(/\/+$/, ''));

/** A list given as one string (a variable or flag) is split at commas; a config file may give a YAML list. */
function listOf<T extends z.ZodTypeAny>(item: T, max: number, required = 'must be a list') {
  return z.preprocess(
    (v) =>
      typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '')
        : v,
    z
      .array(item, {
        error: (issue) => (issue.input === undefined ? required : 'must be a list or a comma-separated string'),
      })
      .max(max, `at most ${max} entries`),
  );
}

/** host:port; a bare port means loopback (127.0.0.1:port), so `--metrics-listen 9464` never opens it to the LAN. */
const hostPort = z
  .union([z.string(), z.number()])
  .transform((v) => (/^\d{1,5}$/.test(String(v)) ? `127.0.0.1:${v}` : String(v)))
  .pipe(
    z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):\d{1,5}$/, 'must be host:port or a port, e.g. 127.0.0.1:9464'),
  );

/**
 * What the agent needs, and nothing of the server's configuration: the agent runs on another machine.
 * Sources, later ones winning: a YAML/JSON file (`--config`), GATEHOUSE_GATEWAY_* variables, flags.
 */
export const agentConfigSchema = z.strictObject({
  /**
   * The control plane, or one URL per edge (comma-separated, or a YAML list): the agent follows one at a time
   * and moves to the next at once when it fails (docs/scaling.md).
   */
  server: listOf(
    controlPlaneUrl,
    16,
    'is required (--server, GATEHOUSE_GATEWAY_SERVER or `server:` in the config file)',
  ).refine((urls) => urls.length > 0, 'needs at least one URL'),
  token: z
    .string({ message: 'is required (--token, GATEHOUSE_GATEWAY_TOKEN or `token:` in the config file)' })
    .startsWith(GATEWAY_TOKEN_PREFIX, `must be a gateway token starting with ${GATEWAY_TOKEN_PREFIX}`),
  state_dir: z.string().min(1).default('./.gatehouse-gateway'),
  /** Overrides the tunnel IP the server sends (tests, or an agent behind its own NAT). */
  listen_host: z
    .string()
    .refine((v) => isIP(v) !== 0, 'must be an IP address')
    .optional(),
  metrics_listen: hostPort.optional(),
  /**
   * Every edge's tunnel address (several edges, docs/scaling.md): forwarded traffic is accepted from these too,
   * not only from the address the connected control plane names, since Caddy on any edge may forward.
   */
  edge_tunnel_addresses: listOf(
    z
      .string()
      .trim()
      .refine((v) => isIP(v) !== 0, 'must be an IP address'),
    16,
  ).default([]),
  /**
   * Targets on this host's own loopback (127.0.0.0/8, ::1): refused unless set here, on the gateway host. The
   * server cannot turn it on: a write token on the server must not reach services bound to the gateway's loopback.
   */
  allow_loopback_targets: z
    .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])
    .default(false),
  log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  status_interval_seconds: z.coerce.number().int().min(1).max(3600).default(30),
});

export type AgentConfig = z.infer<typeof agentConfigSchema>;

export interface AgentConfigSources {
  flags?: Partial<
    Record<'server' | 'token' | 'state-dir' | 'config' | 'listen-host' | 'metrics-listen', string | undefined>
  >;
  env?: NodeJS.ProcessEnv;
}

const ENV: Record<string, keyof AgentConfig> = {
  GATEHOUSE_GATEWAY_SERVER: 'server',
  GATEHOUSE_GATEWAY_TOKEN: 'token',
  GATEHOUSE_GATEWAY_STATE_DIR: 'state_dir',
  GATEHOUSE_GATEWAY_LISTEN_HOST: 'listen_host',
  GATEHOUSE_GATEWAY_METRICS_LISTEN: 'metrics_listen',
  GATEHOUSE_GATEWAY_EDGE_ADDRESSES: 'edge_tunnel_addresses',
  GATEHOUSE_GATEWAY_ALLOW_LOOPBACK_TARGETS: 'allow_loopback_targets',
  GATEHOUSE_GATEWAY_LOG_LEVEL: 'log_level',
  GATEHOUSE_GATEWAY_STATUS_INTERVAL: 'status_interval_seconds',
};

export function loadAgentConfig({ flags = {}, env = {} }: AgentConfigSources): AgentConfig {
  const merged: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  const configFile = flags.config ?? env.GATEHOUSE_GATEWAY_CONFIG;
  if (configFile) {
    let parsed: unknown;
    try {
      parsed = YAML.parse(readFileSync(configFile, 'utf8'));
    } catch (err) {
      throw new AgentConfigError([`config file ${configFile}: ${(err as Error).message}`]);
    }
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
      throw new AgentConfigError([`config file ${configFile}: must be a mapping of settings`]);
    }
    for (const [key, value] of Object.entries((parsed ?? {}) as Record<string, unknown>)) {
      merged[key] = value;
      origin[key] = `${configFile}: ${key}`;
    }
  }
  for (const [variable, key] of Object.entries(ENV)) {
    const value = env[variable];
    if (value !== undefined && value !== '') {
      merged[key] = value;
      origin[key] = variable;
    }
  }
  const flagKeys: Record<string, keyof AgentConfig> = {
    server: 'server',
    token: 'token',
    'state-dir': 'state_dir',
    'listen-host': 'listen_host',
    'metrics-listen': 'metrics_listen',
  };
  for (const [flag, key] of Object.entries(flagKeys)) {
    const value = flags[flag as keyof typeof flags];
    if (value !== undefined && value !== '') {
      merged[key] = value;
      origin[key] = `--${flag}`;
    }
  }
  const result = agentConfigSchema.safeParse(merged);
  if (!result.success) {
    throw new AgentConfigError(
      result.error.issues.map((issue) => {
        const key = String(issue.path[0] ?? '');
        return `${origin[key] ?? key ?? '(config)'}: ${issue.message}`;
      }),
    );
  }
  return { ...result.data, state_dir: path.resolve(result.data.state_dir) };
}
