import { isIP } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { FORWARDED } from '../auth/forwarded.ts';
import { safeEqual } from '../auth/secrets.ts';
import type { ClientOrigin } from './types.ts';

/** The connection's peer address; undefined under app.request() in tests, which has no socket. */
export function socketAddress(c: Context): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

/**
 * An IP address as the throttles and the audit log key it: IPv4-mapped IPv6 reduced to IPv4, no zone id (a
 * zone would make one client many keys), anything else that is not a bare address refused.
 */
function normalizeIp(value: string | undefined): string | undefined {
  const ip = value?.trim();
  if (!ip || ip.length > 45 || ip.includes('%') || !isIP(ip)) return undefined;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  return mapped ? mapped[1] : ip.toLowerCase();
}

/**
 * Who sent this request. Caddy forwards the dashboard, the API and route auth with the client's address, the
 * scheme and the per-install secret (src/caddy/route-auth.ts, forwardedHeaders); only a request with that
 * secret, compared in constant time, is believed. Everyone else — a client talking to the control plane
 * directly, a local process — is its socket's address over plain http, whatever headers it sends.
 */
export function clientOrigin(c: Context, proxySecret: string | undefined): ClientOrigin {
  const peer = normalizeIp(socketAddress(c));
  const sent = c.req.header(FORWARDED.secret);
  if (proxySecret && sent !== undefined && safeEqual(sent, proxySecret)) {
    return {
      // Caddy always sets client_ip; a request without a usable one falls back to Caddy's own address.
      ip: normalizeIp(c.req.header(FORWARDED.clientIp)) ?? peer,
      https: c.req.header(FORWARDED.proto) === 'https',
      viaCaddy: true,
    };
  }
  return { ip: peer, https: new URL(c.req.url).protocol === 'https:', viaCaddy: false };
}
