/**
 * What Caddy tells the control plane about the client of a request it forwards (the public domain's route,
 * forward auth, the route login pages). Caddy sets these with `set` on every forwarded request, so what a
 * client sent under the same names is overwritten; the control plane believes them only when the secret
 * header matches the per-install secret (src/caddy/proxy-secret.ts), so a local process or a client that
 * talks to the control plane directly cannot forge them. See SECURITY.md, "An internet client".
 */
export const FORWARDED = {
  /** Caddy's client_ip: the connection's address, or with trusted proxies the strict X-Forwarded-For reading. */
  clientIp: 'X-Gatehouse-Client-Ip',
  /** `https` or `http`: how the client reached Caddy (decides the admin session cookie's name and Secure). */
  proto: 'X-Gatehouse-Proto',
  /** The per-install secret that proves the request came through Caddy. */
  secret: 'X-Gatehouse-Proxy-Secret',
} as const;
