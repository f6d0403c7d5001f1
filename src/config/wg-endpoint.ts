import { isIPv4, isIPv6 } from 'node:net';

/**
 * Where WireGuard clients dial the server: a host name, an IPv4 address or a bracketed IPv6 address, with an
 * optional :port (default GATEHOUSE_WG_PORT). It goes verbatim into every client config's Endpoint line, so
 * it is checked character by character: no spaces, no newlines, no scheme. Used for GATEHOUSE_WG_ENDPOINT
 * (src/config/schema.ts) and for the `wg_endpoint` setting (src/schemas/settings.ts).
 */
export const WG_ENDPOINT_MAX_LENGTH = 261; // a 253-character name, ':' and a 5-digit port; brackets for IPv6

export const WG_ENDPOINT_HINT =
  'must be a host name or IP address with an optional :port, e.g. vpn.example.com or 203.0.113.5:51820 or [2001:db8::1]:51820';

const HOST_NAME =
  /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** Why `value` cannot be an endpoint, or undefined when it can. */
export function wgEndpointProblem(value: string): string | undefined {
  if (value.length > WG_ENDPOINT_MAX_LENGTH) return `must be at most ${WG_ENDPOINT_MAX_LENGTH} characters`;
  if (isIPv6(value)) return undefined;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+))(?::(\d{1,5}))?$/.exec(value);
  if (!m || (m[3] !== undefined && (Number(m[3]) < 1 || Number(m[3]) > 65535))) return WG_ENDPOINT_HINT;
  if (m[1] !== undefined) return isIPv6(m[1]) ? undefined : WG_ENDPOINT_HINT;
  const host = m[2]!;
  return isIPv4(host) || HOST_NAME.test(host) ? undefined : WG_ENDPOINT_HINT;
}
