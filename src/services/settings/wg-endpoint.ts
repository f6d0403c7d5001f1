import type { Config } from '../../config/index.ts';
import type { DbOrTx } from '../../db/index.ts';
import { formatEndpoint } from '../../wireguard/conf.ts';
import { readRuntimeSettings } from './runtime.ts';

/** Where the endpoint in client configs comes from, strongest first. */
export type WgEndpointSource = 'environment' | 'setting' | 'public_domain';

export interface WgEndpoint {
  /** host:port as it goes into the Endpoint line; null while nothing says where clients connect. */
  effective: string | null;
  source: WgEndpointSource | null;
  /** The stored `wg_endpoint` setting (shown even while the environment overrides it). */
  setting: string | null;
  /** The variable that fixes it when set; the setting cannot be changed while it is. */
  env: 'GATEHOUSE_WG_ENDPOINT';
}

/**
 * The WireGuard endpoint for client configs, read fresh on every call so a changed setting applies to the next
 * config without a restart: GATEHOUSE_WG_ENDPOINT (fixed by the operator), else the admin's `wg_endpoint`
 * setting, else GATEHOUSE_PUBLIC_DOMAIN (the name this server already answers to) with GATEHOUSE_WG_PORT.
 */
export async function resolveWgEndpoint({ db, config }: { db: DbOrTx; config: Config }): Promise<WgEndpoint> {
  const { wg_endpoint: setting } = await readRuntimeSettings(db);
  const port = config.wireguard.port;
  const pick = (host: string, source: WgEndpointSource) => ({ effective: formatEndpoint(host, port), source });
  const chosen = config.wireguard.endpoint
    ? pick(config.wireguard.endpoint, 'environment')
    : setting
      ? pick(setting, 'setting')
      : config.publicDomain
        ? pick(config.publicDomain, 'public_domain')
        : { effective: null, source: null };
  return { ...chosen, setting, env: 'GATEHOUSE_WG_ENDPOINT' };
}

/** What an admin reads when the endpoint is unknown: the 409 of a config download and the overview's warning. */
export const WG_ENDPOINT_UNKNOWN =
  'the WireGuard endpoint is unknown, so clients would not know where to connect: set it in Settings (the wg_endpoint setting, PATCH /api/v1/settings), or set GATEHOUSE_PUBLIC_DOMAIN or GATEHOUSE_WG_ENDPOINT';
