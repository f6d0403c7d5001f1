import type { Context } from 'hono';
import type { Config } from '../config/index.ts';

/**
 * The dashboard's public origin: `https://<GATEHOUSE_PUBLIC_DOMAIN>` when configured (invite links and the
 * passkeys' relying party are bound to it), else the origin the request came to (development on loopback).
 */
export function dashboardOrigin(config: Config, c: Context): string {
  if (config.publicDomain) return `https://${config.publicDomain.toLowerCase().replace(/\.$/, '')}`;
  return new URL(c.req.url).origin;
}
