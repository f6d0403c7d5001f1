import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isIP, isIPv4 } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { acmeCaUrlProblem } from './acme-ca-url.ts';
import { parseRedisStorageUrl, type RedisStorageTarget } from './redis-storage-url.ts';
import { WG_ENDPOINT_HINT, wgEndpointProblem } from './wg-endpoint.ts';

/** The shortest admin password accepted anywhere (configuration, change in the dashboard or API). */
export const ADMIN_PASSWORD_MIN_LENGTH = 12;

/** Default listen ports an L4 route may never take (docs/architecture.md#what-is-published); ours are added at load. */
export const DEFAULT_BLOCKED_PORTS = [22, 53, 80, 443, 2019, 3000, 51820] as const;

const port = z.coerce
  .number({ message: 'must be a number' })
  .int('must be a whole number')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

const portList = z.string().transform((value, ctx) => {
  const ports: number[] = [];
  for (const part of value.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    const n = Number(part);
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
      ctx.addIssue({ code: 'custom', message: `"${part}" is not a port between 1 and 65535` });
      return z.NEVER;
    }
    ports.push(n);
  }
  return ports;
});

/** host:port, with the host an IPv4 address, "localhost" or a bracketed IPv6 address. */
const listenAddress = z.string().transform((value, ctx) => {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(value);
  const portNumber = match ? Number(match[2]) : Number.NaN;
  if (!match || portNumber < 0 || portNumber > 65535) {
    ctx.addIssue({ code: 'custom', message: `must be host:port, e.g. 127.0.0.1:3000 (got "${value}")` });
    return z.NEVER;
  }
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port: portNumber };
});

/** An interface address in CIDR notation, e.g. 10.8.0.1/24 (IPv4 only for the tunnel). */
const interfaceCidr = z.string().transform((value, ctx) => {
  const [ip, bits] = value.split('/');
  const prefix = Number(bits);
  if (!ip || !isIPv4(ip) || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) {
    ctx.addIssue({ code: 'custom', message: `must be an IPv4 address with a prefix /8–/30, e.g. 10.8.0.1/24` });
    return z.NEVER;
  }
  return { address: ip, prefix };
});

const domain = z
  .string()
  .trim()
  .toLowerCase()
  .transform((v) => v.replace(/\.$/, ''))
  .refine((v) => /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/.test(v), {
    message: 'must be a fully qualified domain name such as gate.example.com',
  });

/** Where WireGuard clients dial the server (src/config/wg-endpoint.ts says what is accepted). */
const wgEndpoint = z
  .string()
  .trim()
  .refine((v) => wgEndpointProblem(v) === undefined, WG_ENDPOINT_HINT);

const boolish = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/**
 * The environment Gatehouse reads, one variable per field. This object is the configuration reference:
 * the README's table mirrors it (keep both true).
 */
export const envSchema = z.object({
  /** Unset: an absolute default (src/config/data-dir.ts), never a path relative to the working directory. */
  GATEHOUSE_DATA_DIR: z.string().min(1).optional(),
  GATEHOUSE_LISTEN: listenAddress.default({ host: '127.0.0.1', port: 3000 }),
  GATEHOUSE_PUBLIC_DOMAIN: domain.optional(),
  GATEHOUSE_DB_URL: z
    .string()
    .regex(/^(file:|libsql:\/\/|https?:\/\/|wss?:\/\/)/, 'must start with file:, libsql://, http(s):// or ws(s)://')
    .optional(),
  GATEHOUSE_DB_AUTH_TOKEN: z.string().optional(),
  /** `primary` (default) migrates and owns the database; `edge` reads an embedded replica (docs/scaling.md). */
  GATEHOUSE_ROLE: z.enum(['primary', 'edge'], { message: 'must be primary or edge' }).default('primary'),
  /** Edge role: the primary's libSQL server (sqld) the embedded replica at GATEHOUSE_DB_URL follows. */
  GATEHOUSE_DB_SYNC_URL: z
    .string()
    .trim()
    .max(2048, 'must be at most 2048 characters')
    .regex(/^(libsql|https?):\/\/[^\s]+$/, 'must be a libsql:// or http(s):// URL of the primary sqld')
    .optional(),
  /** The longest any one database call may take before it answers 503 `unavailable` (primary unreachable). */
  GATEHOUSE_DB_DEADLINE_MS: z.coerce
    .number({ message: 'must be a number of milliseconds' })
    .int('must be a whole number of milliseconds')
    .min(100, 'must be between 100 and 60000 milliseconds')
    .max(60_000, 'must be between 100 and 60000 milliseconds')
    .default(5_000),
  /** Edge role: how often the replica pulls from the primary (it also pulls after every write it forwards). */
  GATEHOUSE_DB_SYNC_INTERVAL_SECONDS: z.coerce
    .number({ message: 'must be a number of seconds' })
    .min(0.1, 'must be between 0.1 and 3600 seconds')
    .max(3600, 'must be between 0.1 and 3600 seconds')
    .default(1),
  /** Unset: the bin/caddy of this installation (next to bin/gatehouse), wherever the command is run from. */
  GATEHOUSE_CADDY_BIN: z.string().min(1).optional(),
  GATEHOUSE_CADDY_ENABLED: boolish.default(true),
  /** Caddy's certificate storage in Redis, shared by every edge (src/caddy/redis-storage.ts, docs/scaling.md). */
  GATEHOUSE_CADDY_STORAGE_REDIS: z
    .string()
    .trim()
    .transform((value, ctx) => {
      const parsed = parseRedisStorageUrl(value);
      if (typeof parsed === 'string') {
        ctx.addIssue({ code: 'custom', message: parsed });
        return z.NEVER;
      }
      return parsed;
    })
    .optional(),
  GATEHOUSE_HTTP_PORT: port.default(80),
  GATEHOUSE_HTTPS_PORT: port.default(443),
  GATEHOUSE_TLS_ISSUER: z.enum(['acme', 'internal']).default('acme'),
  GATEHOUSE_ACME_EMAIL: z.email('must be an email address').optional(),
  /** A private ACME CA's directory URL instead of Caddy's default CAs (src/config/acme-ca-url.ts). */
  GATEHOUSE_ACME_CA_URL: z
    .string()
    .trim()
    .superRefine((value, ctx) => {
      const problem = acmeCaUrlProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  GATEHOUSE_TRUSTED_PROXIES: z.string().default(''),
  GATEHOUSE_WG_ENABLED: z.enum(['auto', 'true', 'false']).default('auto'),
  GATEHOUSE_WG_INTERFACE: z
    .string()
    .regex(/^[a-zA-Z0-9_=+.-]{1,15}$/, 'must be 1–15 letters, digits or _=+.-')
    .default('gh0'),
  GATEHOUSE_WG_ADDRESS: interfaceCidr.default({ address: '10.8.0.1', prefix: 24 }),
  GATEHOUSE_WG_PORT: port.default(51820),
  GATEHOUSE_WG_ENDPOINT: wgEndpoint.optional(),
  GATEHOUSE_WG_DNS: z
    .string()
    .refine(
      (v) => v.split(',').every((ip) => ip.trim() === '' || isIP(ip.trim()) !== 0),
      'must be IP addresses separated by commas, e.g. 1.1.1.1,9.9.9.9',
    )
    .default('1.1.1.1'),
  GATEHOUSE_L4_BLOCKED_PORTS: portList.default([...DEFAULT_BLOCKED_PORTS]),
  GATEHOUSE_L4_MAX_PORT_RANGE: z.coerce.number().int().min(1).max(1000).default(100),
  GATEHOUSE_L4_LISTEN_HOST: z.string().default(''),
  GATEHOUSE_GATEWAY_FORWARD_PORTS: z
    .string()
    .regex(/^\d{1,5}-\d{1,5}$/, 'must be a port range like 40000-40999')
    .transform((v) => v.split('-').map(Number) as [number, number])
    .refine(([a, b]) => a >= 1024 && b <= 65535 && a <= b, 'must be a range inside 1024–65535')
    .default([40000, 40999]),
  GATEHOUSE_GEOIP_DB: z.string().optional(),
  /** Unset: bin/asn.mmdb of this installation when present (built by scripts/build-asn-db.mjs). */
  GATEHOUSE_ASN_DB: z.string().optional(),
  /** Caddy rolls `<data dir>/access.log` at this size and keeps this many rolled files (its file writer). */
  GATEHOUSE_ACCESS_LOG_ROLL_MB: z.coerce.number().int().min(1).max(1024).default(50),
  GATEHOUSE_ACCESS_LOG_ROLL_KEEP: z.coerce.number().int().min(1).max(100).default(3),
  /** `/metrics` needs `Authorization: Bearer <this>`; unset (and no GATEHOUSE_METRICS_LISTEN): no /metrics. */
  GATEHOUSE_METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{16,256}$/, 'must be 16–256 printable characters without spaces')
    .optional(),
  /** A separate listen address serving only /metrics, without a token (keep it on loopback or a private network). */
  GATEHOUSE_METRICS_LISTEN: listenAddress.optional(),
  GATEHOUSE_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  GATEHOUSE_ADMIN_USER: z
    .string()
    .regex(/^[a-zA-Z0-9._@-]{1,64}$/, 'must be 1–64 letters, digits or ._@-')
    .default('admin'),
  /** In SSO-only mode (the `sso_only` setting) this owner still logs in with a password: the break-glass way in. */
  GATEHOUSE_BREAK_GLASS_OWNER: z
    .string()
    .regex(/^[a-zA-Z0-9._@-]{1,64}$/, 'must be 1–64 letters, digits or ._@-')
    .optional(),
  GATEHOUSE_ADMIN_PASSWORD: z
    .string()
    .min(ADMIN_PASSWORD_MIN_LENGTH, `must be at least ${ADMIN_PASSWORD_MIN_LENGTH} characters`)
    .optional(),
  /** The key that seals secrets at rest; else `<data dir>/secret.key` (SECURITY.md, "Keys and rotation"). */
  GATEHOUSE_SECRET_KEY: z
    .string()
    .trim()
    .refine(
      (v) => /^[A-Za-z0-9+/]{43}=$/.test(v) && Buffer.from(v, 'base64').length === 32,
      'must be base64 of 32 random bytes (256 bits), e.g. from `openssl rand -base64 32`',
    )
    .optional(),
});

/** Settings that only make sense together: an edge needs a primary to follow and a local replica file. */
export function roleProblems(env: Env): { variable: string; message: string }[] {
  const problems: { variable: string; message: string }[] = [];
  if (env.GATEHOUSE_ROLE === 'edge') {
    if (!env.GATEHOUSE_DB_SYNC_URL)
      problems.push({
        variable: 'GATEHOUSE_DB_SYNC_URL',
        message: 'is required with GATEHOUSE_ROLE=edge (the primary sqld)',
      });
    if (env.GATEHOUSE_DB_URL && !env.GATEHOUSE_DB_URL.startsWith('file:'))
      problems.push({
        variable: 'GATEHOUSE_DB_URL',
        message: 'must be a file: URL with GATEHOUSE_ROLE=edge (the local replica)',
      });
  } else if (env.GATEHOUSE_DB_SYNC_URL) {
    problems.push({ variable: 'GATEHOUSE_DB_SYNC_URL', message: 'is only for GATEHOUSE_ROLE=edge' });
  }
  return problems;
}

export type Env = z.infer<typeof envSchema>;

/** The validated configuration every part of Gatehouse receives (never process.env). */
export interface Config {
  dataDir: string;
  listen: { host: string; port: number };
  publicDomain: string | undefined;
  /** `primary` or `edge` (docs/scaling.md); an edge never migrates and forwards its writes to the primary. */
  role: 'primary' | 'edge';
  db: {
    url: string;
    authToken: string | undefined;
    /** Edge role only: the primary sqld the embedded replica at `url` follows. */
    syncUrl: string | undefined;
    syncIntervalSeconds: number;
    /** Every database call answers within this, or fails with 503 `unavailable`. */
    deadlineMs: number;
  };
  caddy: {
    enabled: boolean;
    bin: string;
    adminSocket: string;
    dataDir: string;
    httpPort: number;
    httpsPort: number;
    tlsIssuer: 'acme' | 'internal';
    acmeEmail: string | undefined;
    /** The ACME CA's directory URL; unset: Caddy's defaults. */
    acmeCaUrl: string | undefined;
    trustedProxies: string[];
    /** Certificates in Redis, shared by several edges; unset: Caddy's files in its data dir. */
    storageRedis: RedisStorageTarget | undefined;
  };
  wireguard: {
    mode: 'auto' | 'true' | 'false';
    interface: string;
    address: string;
    prefix: number;
    port: number;
    /**
     * GATEHOUSE_WG_ENDPOINT only: when set it is fixed. Otherwise the `wg_endpoint` setting, then
     * GATEHOUSE_PUBLIC_DOMAIN apply (services/settings/wg-endpoint.ts resolves it; read it there).
     */
    endpoint: string | undefined;
    dns: string;
  };
  l4: { blockedPorts: number[]; maxPortRange: number; listenHost: string };
  /** Ports on a gateway's tunnel IP that HTTP routes to that gateway are forwarded through. */
  gatewayForwardPorts: [number, number];
  /** A MaxMind-format country database: the configured file, else the bundled CC0 one. */
  geoipDb: string | undefined;
  /** A MaxMind-format ASN database for `asn` policy conditions: the configured file, else bin/asn.mmdb if built. */
  asnDb: string | undefined;
  /** The data plane's access log (caddy-module/access_log.go), rolled by Caddy; the control plane follows it. */
  accessLog: { file: string; rollMb: number; rollKeep: number };
  /** `/metrics`: behind a bearer token on the main listener, and/or alone on its own address. */
  metrics: { token: string | undefined; listen: { host: string; port: number } | undefined };
  logLevel: Env['GATEHOUSE_LOG_LEVEL'];
  admin: { user: string; password: string | undefined; breakGlassOwner: string | undefined };
  /** Secrets at rest: the key given in the environment (base64), else the key file. */
  secrets: { key: string | undefined; keyFile: string };
}

/** This installation's Caddy: bin/caddy beside bin/gatehouse (src/config/ is two levels below the root). */
export const INSTALLED_CADDY_BIN = fileURLToPath(new URL('../../bin/caddy', import.meta.url));
/** This installation's ASN database, built by scripts/build-asn-db.mjs. */
export const INSTALLED_ASN_DB = fileURLToPath(new URL('../../bin/asn.mmdb', import.meta.url));

/** `defaults.dataDir` is where the data lives when GATEHOUSE_DATA_DIR is unset (see src/config/data-dir.ts). */
export function toConfig(env: Env, defaults: { dataDir: string }): Config {
  const dataDir = path.resolve(env.GATEHOUSE_DATA_DIR ?? defaults.dataDir);
  // Our own ports are never available to L4 routes, whatever the list says.
  const ownPorts = [
    env.GATEHOUSE_LISTEN.port,
    env.GATEHOUSE_HTTP_PORT,
    env.GATEHOUSE_HTTPS_PORT,
    env.GATEHOUSE_WG_PORT,
  ];
  const blocked = [...new Set([...env.GATEHOUSE_L4_BLOCKED_PORTS, ...ownPorts])].sort((a, b) => a - b);
  return {
    dataDir,
    listen: env.GATEHOUSE_LISTEN,
    publicDomain: env.GATEHOUSE_PUBLIC_DOMAIN,
    role: env.GATEHOUSE_ROLE,
    db: {
      url: env.GATEHOUSE_DB_URL ?? `file:${path.join(dataDir, 'gatehouse.db')}`,
      authToken: env.GATEHOUSE_DB_AUTH_TOKEN,
      syncUrl: env.GATEHOUSE_DB_SYNC_URL,
      syncIntervalSeconds: env.GATEHOUSE_DB_SYNC_INTERVAL_SECONDS,
      deadlineMs: env.GATEHOUSE_DB_DEADLINE_MS,
    },
    caddy: {
      enabled: env.GATEHOUSE_CADDY_ENABLED,
      bin: env.GATEHOUSE_CADDY_BIN ? path.resolve(env.GATEHOUSE_CADDY_BIN) : INSTALLED_CADDY_BIN,
      adminSocket: path.join(dataDir, 'caddy-admin.sock'),
      dataDir: path.join(dataDir, 'caddy'),
      httpPort: env.GATEHOUSE_HTTP_PORT,
      httpsPort: env.GATEHOUSE_HTTPS_PORT,
      tlsIssuer: env.GATEHOUSE_TLS_ISSUER,
      acmeEmail: env.GATEHOUSE_ACME_EMAIL,
      acmeCaUrl: env.GATEHOUSE_ACME_CA_URL,
      trustedProxies: env.GATEHOUSE_TRUSTED_PROXIES.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      storageRedis: env.GATEHOUSE_CADDY_STORAGE_REDIS,
    },
    wireguard: {
      mode: env.GATEHOUSE_WG_ENABLED,
      interface: env.GATEHOUSE_WG_INTERFACE,
      address: env.GATEHOUSE_WG_ADDRESS.address,
      prefix: env.GATEHOUSE_WG_ADDRESS.prefix,
      port: env.GATEHOUSE_WG_PORT,
      endpoint: env.GATEHOUSE_WG_ENDPOINT,
      dns: env.GATEHOUSE_WG_DNS,
    },
    l4: {
      blockedPorts: blocked,
      maxPortRange: env.GATEHOUSE_L4_MAX_PORT_RANGE,
      listenHost: env.GATEHOUSE_L4_LISTEN_HOST,
    },
    gatewayForwardPorts: env.GATEHOUSE_GATEWAY_FORWARD_PORTS,
    geoipDb: env.GATEHOUSE_GEOIP_DB ? path.resolve(env.GATEHOUSE_GEOIP_DB) : bundledGeoipDb(),
    asnDb: env.GATEHOUSE_ASN_DB
      ? path.resolve(env.GATEHOUSE_ASN_DB)
      : existsSync(INSTALLED_ASN_DB)
        ? INSTALLED_ASN_DB
        : undefined,
    accessLog: {
      file: path.join(dataDir, 'access.log'),
      rollMb: env.GATEHOUSE_ACCESS_LOG_ROLL_MB,
      rollKeep: env.GATEHOUSE_ACCESS_LOG_ROLL_KEEP,
    },
    metrics: { token: env.GATEHOUSE_METRICS_TOKEN, listen: env.GATEHOUSE_METRICS_LISTEN },
    logLevel: env.GATEHOUSE_LOG_LEVEL,
    admin: {
      user: env.GATEHOUSE_ADMIN_USER,
      password: env.GATEHOUSE_ADMIN_PASSWORD,
      breakGlassOwner: env.GATEHOUSE_BREAK_GLASS_OWNER,
    },
    secrets: { key: env.GATEHOUSE_SECRET_KEY, keyFile: path.join(dataDir, 'secret.key') },
  };
}

/** The CC0 country database shipped as an npm package (no network lookups, ever). */
function bundledGeoipDb(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const pkg = require.resolve('@ip-location-db/geo-whois-asn-country-mmdb/package.json');
    return path.join(path.dirname(pkg), 'geo-whois-asn-country.mmdb');
  } catch {
    return undefined;
  }
}
