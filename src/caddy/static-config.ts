import type { Config } from '../config/index.ts';
import { redisStorageConfig } from './redis-storage.ts';
import { controlPlaneDial, forwardedHeaders } from './route-auth.ts';

/**
 * The static Caddy config: listeners, the gatehouse app, TLS automation and the admin socket. It is loaded
 * once per Caddy process and never changes with routes or policies (those go to the gatehouse module as a
 * snapshot — docs/architecture.md, "Why these choices"). Built as data, never by string templates, so
 * no user-supplied text can inject config.
 */
export interface StaticConfigInput {
  caddy: Config['caddy'];
  listen: Config['listen'];
  publicDomain: string | undefined;
  l4ListenHost: string;
  geoipDb: string | undefined;
  /** The ASN database for `asn` policy conditions (docs/snapshot.md). */
  asnDb?: string | undefined;
  /** Where the data plane writes its access log (absent: no access log). */
  accessLog?: Config['accessLog'] | undefined;
  /** Sent to the control plane with every forwarded request (src/caddy/proxy-secret.ts). */
  proxySecret?: string | undefined;
  /** With `caddy.storageRedis`: the key the stored certificates are encrypted with (32 characters). */
  redisStorageKey?: string | undefined;
}

/** One year, the usual HSTS lifetime; the public domain is only ever served over HTTPS. */
export const HSTS = 'max-age=31536000';

export function staticCaddyConfig(input: StaticConfigInput): Record<string, unknown> {
  const { caddy } = input;
  // When a public domain is set, Caddy serves the dashboard and API there over HTTPS, so nothing of Node
  // faces the internet directly. The route comes first; every other host goes to the dynamic tables. The
  // control plane is told the client's address and scheme (set, so a client's own headers of these names are
  // overwritten) with the secret that makes it believe them; browsers are told to use HTTPS only.
  const controlPlaneRoutes = input.publicDomain
    ? [
        {
          match: [{ host: [input.publicDomain] }],
          handle: [
            { handler: 'headers', response: { set: { 'Strict-Transport-Security': [HSTS] } } },
            {
              handler: 'reverse_proxy',
              upstreams: [{ dial: controlPlaneDial(input.listen) }],
              headers: { request: { set: forwardedHeaders(input.proxySecret) } },
            },
          ],
          terminal: true,
        },
      ]
    : [];

  const issuer =
    caddy.tlsIssuer === 'internal'
      ? { module: 'internal' }
      : {
          module: 'acme',
          ...(caddy.acmeCaUrl ? { ca: caddy.acmeCaUrl } : {}),
          ...(caddy.acmeEmail ? { email: caddy.acmeEmail } : {}),
        };

  // Several edges share certificates through Redis (src/caddy/redis-storage.ts); one edge keeps Caddy's files.
  const storage =
    caddy.storageRedis && input.redisStorageKey
      ? { storage: redisStorageConfig(caddy.storageRedis, input.redisStorageKey) }
      : {};

  return {
    ...storage,
    admin: {
      // A unix socket with mode 0600 in the data dir: the admin API is never reachable over TCP.
      listen: `unix/${caddy.adminSocket}|0600`,
      config: { persist: false },
    },
    logging: { logs: accessLogLogs(input.accessLog) },
    apps: {
      gatehouse: {
        listen_host: input.l4ListenHost,
        shared_https_port: caddy.httpsPort,
        ...(input.geoipDb ? { geoip_db: input.geoipDb } : {}),
        ...(input.asnDb ? { asn_db: input.asnDb } : {}),
      },
      http: {
        http_port: caddy.httpPort,
        https_port: caddy.httpsPort,
        servers: {
          public: {
            listen: [`:${caddy.httpsPort}`],
            // TLS passthrough routes share this port: known SNI goes to its target before TLS is
            // terminated, everything else falls through to the HTTP routes below.
            listener_wrappers: [
              { wrapper: 'layer4', routes: [{ handle: [{ handler: 'gatehouse_routes' }] }] },
              { wrapper: 'tls' },
            ],
            tls_connection_policies: [{}],
            automatic_https: { disable_redirects: true },
            // Behind trusted proxies, X-Forwarded-For is read right to left and reading stops at the first hop
            // that is not a trusted proxy: the entries a client wrote itself (leftmost) never become client_ip.
            ...(caddy.trustedProxies.length > 0
              ? {
                  trusted_proxies: { source: 'static', ranges: caddy.trustedProxies },
                  client_ip_headers: ['X-Forwarded-For'],
                  trusted_proxies_strict: 1,
                }
              : {}),
            routes: [
              ...controlPlaneRoutes,
              { handle: [{ handler: 'gatehouse_guard' }, { handler: 'gatehouse_routes' }] },
            ],
            // handle_errors: an upstream that does not answer (502), is too slow (504) or a host no route has
            // (404) gets a Gatehouse page with the error's id, not Caddy's empty body (caddy-module/error_page.go).
            errors: { routes: [{ handle: [{ handler: 'gatehouse_error_page' }] }] },
          },
          redirect: {
            listen: [`:${caddy.httpPort}`],
            routes: [
              {
                handle: [
                  {
                    handler: 'static_response',
                    status_code: 308,
                    headers: {
                      Location: [
                        `https://{http.request.host}${caddy.httpsPort === 443 ? '' : `:${caddy.httpsPort}`}{http.request.uri}`,
                      ],
                    },
                  },
                ],
              },
            ],
          },
        },
      },
      tls: {
        automation: {
          policies: [
            // The public domain's certificate is managed up front, not on demand.
            ...(input.publicDomain ? [{ subjects: [input.publicDomain], issuers: [issuer] }] : []),
            { issuers: [issuer], on_demand: true },
          ],
          // On-demand TLS only for names a route names exactly or lists in tls_names, rate-limited
          // (caddy-module/permission.go): no certificate for strangers.
          on_demand: { permission: { module: 'gatehouse' } },
        },
      },
      // Certificates Caddy fails to obtain or renew are recorded by the module until one is obtained, for the
      // "certificate issuance failing" alert (caddy-module/cert_events.go, src/services/alerts/conditions.ts).
      events: {
        subscriptions: [{ events: CERTIFICATE_EVENTS, handlers: [{ handler: 'gatehouse_certificates' }] }],
      },
      // The internal issuer's CA ("local") must never be installed into the host's trust stores (system,
      // Firefox, Java): Caddy would do that by default when its pki app starts. Configured in every mode, so
      // nothing that provisions the local CA implicitly can bring the default back. The root certificate is
      // offered for download instead (GET /api/v1/tls/root-certificate).
      pki: { certificate_authorities: { local: { install_trust: false } } },
    },
  };
}

/** The certmagic events the module's certificate handler records (caddy-module/cert_events.go). */
export const CERTIFICATE_EVENTS = ['cert_failed', 'cert_obtained'];

/** The gatehouse module's access logger (caddy-module/access_log.go: AccessLoggerName). */
export const ACCESS_LOGGER = 'gatehouse.access';

/** The access log's buffer and how long an entry may wait in it (docs/observability.md, "Access log"). */
export const ACCESS_LOG_BUFFER_BYTES = 64 * 1024;
export const ACCESS_LOG_FLUSH_MS = 250;

/**
 * Caddy's logs: the default one, and the access log in a file of its own (JSON, one entry a line, rolled by
 * Caddy's file writer at a size, keeping a few rolled files), which the control plane follows
 * (src/services/access-log/follower.ts). Kept out of the default log, which goes to the supervisor's output.
 * Written through our buffered writer (caddy-module/buffered_writer.go: the file writer's fields plus a buffer
 * flushed every ACCESS_LOG_FLUSH_MS or at ACCESS_LOG_BUFFER_BYTES, whole lines only), so that a request costs a
 * copy into memory instead of a write(2); a full buffer drops entries rather than stall requests.
 */
function accessLogLogs(accessLog: Config['accessLog'] | undefined): Record<string, unknown> {
  if (!accessLog) return { default: { encoder: { format: 'json' }, level: 'INFO' } };
  return {
    default: { encoder: { format: 'json' }, level: 'INFO', exclude: [ACCESS_LOGGER] },
    gatehouse_access: {
      writer: {
        output: 'gatehouse_buffered',
        buffer_size: ACCESS_LOG_BUFFER_BYTES,
        flush_interval: `${ACCESS_LOG_FLUSH_MS}ms`,
        filename: accessLog.file,
        roll: true,
        roll_size_mb: accessLog.rollMb,
        roll_keep: accessLog.rollKeep,
        roll_local_time: false,
        mode: '0600',
      },
      encoder: { format: 'json', time_format: 'unix_milli_float' },
      level: 'INFO',
      include: [ACCESS_LOGGER],
    },
  };
}
