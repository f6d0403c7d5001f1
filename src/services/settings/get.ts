import type { ServiceContext } from '../../context.ts';
import { readRuntimeSettings } from './runtime.ts';
import { resolveWgEndpoint } from './wg-endpoint.ts';

/**
 * The settings people look for: which GeoIP database is in use (and its build date, as the data plane
 * loaded it) and the L4 port rules. They come from the environment (see the README) and are read-only here;
 * the run-time settings (runtime.ts) are stored in the database and change through updateRuntimeSettings.
 */
export async function getSettings({ ctx }: { ctx: ServiceContext }) {
  const health = await ctx.hooks?.dataPlane?.health().catch(() => undefined);
  const loaded = (health?.geoip ?? null) as Record<string, unknown> | null;
  const configured = ctx.config.geoipDb;
  const runtime = await readRuntimeSettings(ctx.db);
  return {
    ...runtime,
    geoip: {
      path: configured ?? null,
      source: configured?.includes('@ip-location-db/geo-whois-asn-country-mmdb')
        ? 'bundled (CC0 geo-whois-asn-country)'
        : 'configured',
      loaded,
      env: 'GATEHOUSE_GEOIP_DB',
    },
    l4: {
      blocked_ports: ctx.config.l4.blockedPorts,
      max_port_range: ctx.config.l4.maxPortRange,
      listen_host: ctx.config.l4.listenHost || null,
      env: ['GATEHOUSE_L4_BLOCKED_PORTS', 'GATEHOUSE_L4_MAX_PORT_RANGE', 'GATEHOUSE_L4_LISTEN_HOST'],
    },
    gateway_forward_ports: `${ctx.config.gatewayForwardPorts[0]}-${ctx.config.gatewayForwardPorts[1]}`,
    public_domain: ctx.config.publicDomain ?? null,
    wireguard_endpoint: await resolveWgEndpoint(ctx),
    tls_issuer: ctx.config.caddy.tlsIssuer,
  };
}
