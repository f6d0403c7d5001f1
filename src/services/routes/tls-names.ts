import type { Route } from '../../db/schema/routes.ts';
import { MAX_TLS_NAMES, normalizeDomain } from '../../schemas/routes.ts';

/**
 * A wildcard route's tls_names: the names under `*.example.com` that on-demand TLS may get a certificate for.
 * Without the list, anyone could make Caddy order certificates for arbitrary names under the wildcard (the data
 * plane denies every unlisted one: caddy-module/permission.go); a wildcard certificate itself needs a DNS
 * challenge, which this build does not have. Each name is normalised like a domain, must sit exactly one label
 * below the route's wildcard and appears once; anything else is a field error.
 */
export function normalizeTlsNames(
  d: { type?: Route['type'] | undefined; domain?: string | null | undefined; tlsNames: string[] },
  issue: (field: string, message: string) => void,
): string[] {
  const names = d.tlsNames ?? [];
  if (names.length === 0) return [];
  if (d.type !== 'http' || !d.domain?.startsWith('*.')) {
    issue('tls_names', 'are only for HTTP routes with a wildcard domain (*.example.com); exact domains need none');
    return names;
  }
  if (names.length > MAX_TLS_NAMES) {
    issue('tls_names', `at most ${MAX_TLS_NAMES} names`);
    return names;
  }
  const parent = d.domain.slice(2);
  const seen = new Set<string>();
  return names.map((name, i) => {
    const n = normalizeDomain(name);
    if ('error' in n) {
      issue(`tls_names.${i}`, n.error);
      return name;
    }
    const dot = n.value.indexOf('.');
    if (n.value.startsWith('*.') || n.value.slice(dot + 1) !== parent) {
      issue(`tls_names.${i}`, `"${name}" is not one label below ${d.domain} (e.g. app.${parent})`);
    } else if (seen.has(n.value)) {
      issue(`tls_names.${i}`, `"${name}" is listed twice`);
    }
    seen.add(n.value);
    return n.value;
  });
}
