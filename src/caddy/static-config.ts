import type { Config } from '../config/index.ts';

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
}

export function staticCaddyConfig(input: StaticConfigInput): Record<string, unknown> {
  const { caddy } = input;
  const controlPlane = `${input.listen.host.includes(':') ? `[${input.listen.host}]` : input.listen.host}:${input.listen.port}`;

  // When a public domain is set, Caddy serves the dashboard and API there over HTTPS, so nothing of Node
  // faces the internet directly. The route comes first; every other host goes to the dynamic tables.
  const controlPlaneRoutes = input.publicDomain
    ? [
        {
          match: [{ host: [input.publicDomain] }],
          handle: [{ handler: 'reverse_proxy', upstreams: [{ dial: controlPlane }] }],
          terminal: true,
        },
      ]
    : [];

  const issuer =
    caddy.tlsIssuer === 'internal'
      ? { module: 'internal' }
      : { module: 'acme', ...(caddy.acmeEmail ? { email: caddy.acmeEmail } : {}) };

  return {
    admin: {
      // A unix socket with mode 0600 in the data dir: the admin API is never reachable over TCP.
      listen: `unix/${caddy.adminSocket}|0600`,
      config: { persist: false },
    },
    logging: { logs: { default: { encoder: { format: 'json' }, level: 'INFO' } } },
    apps: {
      gatehouse: {
        listen_host: input.l4ListenHost,
        shared_https_port: caddy.httpsPort,
        ...(input.geoipDb ? { geoip_db: input.geoipDb } : {}),
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
            ...(caddy.trustedProxies.length > 0
              ? { trusted_proxies: { source: 'static', ranges: caddy.trustedProxies } }
              : {}),
            routes: [
              ...controlPlaneRoutes,
              { handle: [{ handler: 'gatehouse_guard' }, { handler: 'gatehouse_routes' }] },
            ],
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
      // The internal issuer's CA ("local") must never be installed into the host's trust stores (system,
      // Firefox, Java): Caddy would do that by default when its pki app starts. Configured in every mode, so
      // nothing that provisions the local CA implicitly can bring the default back. The root certificate is
      // offered for download instead (GET /api/v1/tls/root-certificate).
      pki: { certificate_authorities: { local: { install_trust: false } } },
    },
  };
}
