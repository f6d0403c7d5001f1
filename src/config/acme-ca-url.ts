import { isIP } from 'node:net';

/**
 * GATEHOUSE_ACME_CA_URL: the directory URL of the ACME CA Caddy obtains certificates from (default: Caddy's,
 * Let's Encrypt then ZeroSSL). For a private CA (step-ca, Pebble, a company CA). It is an outbound target, so
 * it follows SECURITY.md's rule for the OpenID providers' endpoints: HTTPS, or plain HTTP only to loopback (a
 * CA on this host); no user name or password in the URL (Caddy would send them to the CA in clear), no
 * fragment, no spaces, control characters or braces (Caddy would expand `{env.…}` placeholders in it), at most ACME_CA_URL_MAX_LENGTH characters.
 */
export const ACME_CA_URL_MAX_LENGTH = 2048;

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** Why `value` cannot be the ACME CA's directory URL, or undefined when it can. */
export function acmeCaUrlProblem(value: string): string | undefined {
  if (value.length > ACME_CA_URL_MAX_LENGTH) return `must be at most ${ACME_CA_URL_MAX_LENGTH} characters`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\s\u0000-\u001f\u007f]/.test(value)) return 'must not contain spaces or control characters';
  // Caddy expands {placeholders} in the CA URL (e.g. {env.X}): none may reach it.
  if (/[{}]/.test(value)) return 'must not contain { or } (Caddy reads them as placeholders)';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be a URL, e.g. https://ca.example.com/acme/directory';
  }
  if (url.username || url.password) return 'must not carry a user name or password';
  if (url.hash || value.includes('#')) return 'must not have a fragment (#…)';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') {
    return isLoopback(url.hostname) ? undefined : 'must be https:// (plain http:// only to a CA on loopback)';
  }
  return 'must be an https:// URL (plain http:// only to a CA on loopback)';
}
