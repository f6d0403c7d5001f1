import { FORWARDED } from '../auth/forwarded.ts';
import { LOGIN_PREFIX, VERIFY_PATH } from '../auth/route-cookies.ts';
import type { Route } from '../db/schema/routes.ts';
import { IDENTITY_HEADERS } from './identity-headers.ts';

/** Headers the control plane answers a successful verify with; copied onto the request for the upstream. */
export const IDENTITY_HEADER = 'Remote-User';
export const CLEAN_COOKIE_HEADER = 'X-Gatehouse-Cookie';
/** The Caddy var gatehouse_guard sets to "1" when its allow needs the route login (the policy contract). */
export const LOGIN_VAR = 'gatehouse_login';

/** `host:port` Caddy dials for the control plane (a wildcard listen address is reached over loopback). */
export function controlPlaneDial(listen: { host: string; port: number }): string {
  const host = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host;
  return host.includes(':') ? `[${host}]:${listen.port}` : `${host}:${listen.port}`;
}

/**
 * The headers Caddy sets on every request it forwards to the control plane (src/auth/forwarded.ts): the
 * client's address and scheme, and the per-install secret that makes the control plane believe them. Without
 * a secret (unit tests) the control plane believes neither.
 */
export function forwardedHeaders(proxySecret: string | undefined): Record<string, string[]> {
  return {
    [FORWARDED.clientIp]: ['{http.vars.client_ip}'],
    [FORWARDED.proto]: ['{http.request.scheme}'],
    ...(proxySecret ? { [FORWARDED.secret]: [proxySecret] } : {}),
  };
}

/** Copies a response header of the verify call onto the request, only when the response has it. */
function copyFromAuthResponse(from: string, to: string) {
  const placeholder = `{http.reverse_proxy.header.${from}}`;
  return {
    match: [{ not: [{ vars: { [placeholder]: [''] } }] }],
    handle: [{ handler: 'headers', request: { set: { [to]: [placeholder] } } }],
  };
}

/**
 * The handlers a route whose policy uses a login runs before its own (they sit behind gatehouse_guard, so a
 * denied IP never costs an auth round trip, and run only for clients whose allow needs the login). This is Caddy's `forward_auth` expanded to JSON (a reverse_proxy to the
 * verify endpoint with `rewrite` and a 2xx `handle_response` that copies headers), plus:
 * - identity headers are ours alone: the client's `X-Gatehouse-*` are deleted first (`Remote-*` already were,
 *   by gatehouse_identity, identity-headers.ts), and a VPN peer's `Remote-*` are dropped before the verify
 *   answers with the login's;
 * - `/.gatehouse/*` on the route's own domain goes to the control plane (login page, TOTP, logout), so the
 *   session cookie is scoped to that domain;
 * - after a successful verify, the Cookie header is replaced by the one the control plane cleaned (ours
 *   removed: Caddy's headers handler can only regex-replace, and parsing cookies is the verify endpoint's
 *   job); with basic auth the Authorization header (the route's credentials) is dropped too.
 * The control plane finds the route by `X-Gatehouse-Route` and checks the Host against its domain.
 */
export function routeAuthHandlers(
  route: Route,
  dial: string,
  proxySecret?: string,
  appTokenHeaders: string[] = [],
): Record<string, unknown>[] {
  const toControlPlane = { 'X-Gatehouse-Route': [String(route.id)], ...forwardedHeaders(proxySecret) };
  // The route's app-token headers are credentials for Gatehouse, not for the upstream.
  const consumed = ['Cookie', ...(route.basicAuthEnabled ? ['Authorization'] : []), ...appTokenHeaders];
  const dropPeerIdentity = { handler: 'headers', request: { delete: [...IDENTITY_HEADERS] } };
  const loginPages = {
    handler: 'subroute',
    routes: [
      {
        match: [{ path: [`${LOGIN_PREFIX}/*`] }],
        handle: [{ handler: 'reverse_proxy', upstreams: [{ dial }], headers: { request: { set: toControlPlane } } }],
      },
    ],
  };
  const verify = {
    handler: 'reverse_proxy',
    upstreams: [{ dial }],
    // GET never consumes the request body, which the upstream still needs.
    rewrite: { method: 'GET', uri: VERIFY_PATH },
    headers: {
      request: {
        set: {
          ...toControlPlane,
          'X-Forwarded-Method': ['{http.request.method}'],
          'X-Forwarded-Uri': ['{http.request.uri}'],
        },
      },
    },
    handle_response: [
      {
        match: { status_code: [2] },
        routes: [
          // At least one route, as forward_auth has, so reverse_proxy does not skip this entry. It also
          // names the verified user for the access log (caddy-module/access_log.go): a var, which no
          // client header can set.
          { handle: [{ handler: 'vars', gatehouse_user: `{http.reverse_proxy.header.${IDENTITY_HEADER}}` }] },
          { handle: [{ handler: 'headers', request: { delete: consumed } }] },
          copyFromAuthResponse(CLEAN_COOKIE_HEADER, 'Cookie'),
          ...IDENTITY_HEADERS.map((name) => copyFromAuthResponse(name, name)),
        ],
      },
    ],
  };
  return [
    // Every client, logged in or not: X-Gatehouse-* are ours (identity headers were stripped by
    // gatehouse_identity, identity-headers.ts, which may have set a VPN peer's).
    { handler: 'headers', request: { delete: ['X-Gatehouse-*'] } },
    // Only clients the policy lets in after a login (the guard sets the var, docs/snapshot.md) see the login;
    // for them the login's identity replaces a VPN peer's: none of the peer's is left.
    {
      handler: 'subroute',
      routes: [{ match: [{ vars: { [LOGIN_VAR]: ['1'] } }], handle: [dropPeerIdentity, loginPages, verify] }],
    },
  ];
}
