import { isIP } from 'node:net';
import * as oidc from 'openid-client';

/**
 * The OpenID Connect relying party (openid-client v6): discovery with its checks, the client-secret probe, the
 * authorization request (PKCE S256, state, nonce) and the code grant. Plain values in and out; when to call it
 * is decided by src/services/identity-providers/.
 */

/** Seconds of clock difference with the provider accepted on ID token times (openid-client's `exp`/`nbf`). */
export const CLOCK_TOLERANCE_SECONDS = 60;
const TIMEOUT_SECONDS = 10;

export interface ProviderSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/** `unreachable`: the provider did not answer (down, DNS, timeout); `refused`: it answered no. */
export class ProviderError extends Error {
  constructor(
    readonly kind: 'unreachable' | 'refused',
    message: string,
  ) {
    super(message);
  }
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** SECURITY.md: a provider's endpoints are HTTPS, or plain HTTP on loopback only (a provider on this host). */
export function endpointProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.username || url.password) return 'must not carry a user name or password';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return null;
  return 'must be https:// (plain http:// only on loopback)';
}

/** The provider's `error` code: from a JSON body or from a WWW-Authenticate challenge (a 401 to Basic auth). */
function providerErrorCode(err: unknown): string | undefined {
  if (err instanceof oidc.ResponseBodyError) return err.error;
  if (err instanceof oidc.WWWAuthenticateChallengeError) return err.cause[0]?.parameters.error;
  return undefined;
}

function describe(err: unknown): string {
  if (err instanceof oidc.ResponseBodyError)
    return `${err.error}${err.error_description ? `: ${err.error_description}` : ''} (HTTP ${err.status})`;
  if (err instanceof oidc.WWWAuthenticateChallengeError) {
    const params = err.cause[0]?.parameters ?? {};
    return `${params.error ?? 'unauthorized'}${params.error_description ? `: ${params.error_description}` : ''} (HTTP ${err.status})`;
  }
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const code = [err, cause].map((e) => (e && typeof e === 'object' && 'code' in e ? String(e.code) : '')).join(' ');
    if (code.includes('JWT_TIMESTAMP_CHECK'))
      return `the ID token's times are outside the ${CLOCK_TOLERANCE_SECONDS} s leeway (${err.message}): check the clocks of Gatehouse and the provider`;
    const inner = cause && typeof cause === 'object' && 'code' in cause ? ` (${String(cause.code)})` : '';
    return `${err.message}${inner}`;
  }
  return String(err);
}

function isUnreachable(err: unknown): boolean {
  if (providerErrorCode(err) !== undefined) return false;
  const text = describe(err);
  return /fetch failed|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|aborted|timeout/i.test(text);
}

/**
 * Fetches and checks the discovery document: the issuer it names must equal `issuer` exactly (openid-client
 * compares), and every endpoint must pass `endpointProblem`. The client authenticates with
 * `client_secret_basic` unless the provider offers only `client_secret_post`.
 */
export async function discover(settings: ProviderSettings): Promise<oidc.Configuration> {
  const problem = endpointProblem(settings.issuer);
  if (problem) throw new ProviderError('refused', `issuer ${problem}`);
  const issuer = new URL(settings.issuer);
  const insecure = issuer.protocol === 'http:';
  let config: oidc.Configuration;
  try {
    config = await oidc.discovery(
      issuer,
      settings.clientId,
      { client_secret: settings.clientSecret, [oidc.clockTolerance]: CLOCK_TOLERANCE_SECONDS },
      undefined,
      { timeout: TIMEOUT_SECONDS, ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}) },
    );
  } catch (err) {
    const body = (err as { cause?: { body?: { issuer?: unknown } } }).cause?.body;
    if (body && typeof body === 'object' && 'issuer' in body)
      throw new ProviderError(
        'refused',
        `the discovery document names the issuer ${JSON.stringify(String(body.issuer).slice(0, 200))}, not ${settings.issuer}`,
      );
    if (isUnreachable(err)) throw new ProviderError('unreachable', `the provider did not answer: ${describe(err)}`);
    throw new ProviderError('refused', `discovery failed: ${describe(err)}`);
  }
  const meta = config.serverMetadata();
  for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint'] as const) {
    const value = meta[field];
    if (field !== 'userinfo_endpoint' && typeof value !== 'string')
      throw new ProviderError('refused', `the discovery document has no ${field}`);
    const bad = typeof value === 'string' ? endpointProblem(value) : null;
    if (bad) throw new ProviderError('refused', `the discovery document's ${field} ${bad}`);
  }
  const methods = meta.token_endpoint_auth_methods_supported;
  const auth =
    methods && !methods.includes('client_secret_basic') && methods.includes('client_secret_post')
      ? oidc.ClientSecretPost(settings.clientSecret)
      : oidc.ClientSecretBasic(settings.clientSecret);
  const secured = new oidc.Configuration(
    meta,
    settings.clientId,
    { client_secret: settings.clientSecret, [oidc.clockTolerance]: CLOCK_TOLERANCE_SECONDS },
    auth,
  );
  secured.timeout = TIMEOUT_SECONDS;
  if (insecure) oidc.allowInsecureRequests(secured);
  return secured;
}

/**
 * Proves the client id and secret at the token endpoint without a user: a code grant with a code that cannot
 * exist. The provider authenticates the client first, so `invalid_client` means the id or secret is wrong;
 * any other answer (`invalid_grant` …) means it accepted them.
 */
export async function probeClientSecret(config: oidc.Configuration, redirectUri: string): Promise<void> {
  try {
    await oidc.genericGrantRequest(config, 'authorization_code', {
      code: `gatehouse-probe-${oidc.randomState()}`,
      redirect_uri: redirectUri,
      code_verifier: oidc.randomPKCECodeVerifier(),
    });
  } catch (err) {
    const code = providerErrorCode(err);
    if (code === 'invalid_client')
      throw new ProviderError('refused', `the provider refused the client id or secret: ${describe(err)}`);
    if (code !== undefined) return;
    if (isUnreachable(err))
      throw new ProviderError('unreachable', `the token endpoint did not answer: ${describe(err)}`);
    throw new ProviderError('refused', `the token endpoint answered unexpectedly: ${describe(err)}`);
  }
  throw new ProviderError('refused', 'the token endpoint accepted a made-up code: this is not a provider to trust');
}

/** What the browser carries between the authorization request and the callback (sealed in a cookie). */
export interface PendingLogin {
  state: string;
  nonce: string;
  verifier: string;
}

export async function authorizationRequest(
  config: oidc.Configuration,
  input: { redirectUri: string; scopes: string },
): Promise<{ url: URL; pending: PendingLogin }> {
  const verifier = oidc.randomPKCECodeVerifier();
  const pending = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier };
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: input.redirectUri,
    scope: input.scopes,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: pending.state,
    nonce: pending.nonce,
  });
  return { url, pending };
}

export interface Identity {
  subject: string;
  email: string | null;
  name: string | null;
  groups: string[];
}

const text = (v: unknown, max: number) => (typeof v === 'string' && v.length > 0 ? v.slice(0, max) : null);

/**
 * The callback: openid-client checks state, PKCE, the ID token (signature, issuer, audience, nonce, times
 * within CLOCK_TOLERANCE_SECONDS), then the UserInfo answer (same `sub`) adds claims the ID token left out.
 */
export async function codeGrant(
  config: oidc.Configuration,
  callbackUrl: URL,
  pending: PendingLogin,
  claims: { email: string; groups: string },
): Promise<Identity> {
  let merged: Record<string, unknown>;
  try {
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: pending.verifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims();
    if (!idClaims) throw new ProviderError('refused', 'the provider sent no ID token');
    merged = { ...idClaims };
    if (config.serverMetadata().userinfo_endpoint && tokens.access_token) {
      const info = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
      merged = { ...info, ...idClaims };
    }
  } catch (err) {
    if (err instanceof ProviderError) throw err;
    if (isUnreachable(err)) throw new ProviderError('unreachable', `the provider did not answer: ${describe(err)}`);
    throw new ProviderError('refused', describe(err));
  }
  const rawGroups = merged[claims.groups];
  const groups = (Array.isArray(rawGroups) ? rawGroups : typeof rawGroups === 'string' ? [rawGroups] : [])
    .filter((g): g is string => typeof g === 'string' && g.length > 0 && g.length <= 200)
    .slice(0, 500);
  const email = text(merged[claims.email], 254)?.toLowerCase() ?? null;
  return { subject: String(merged.sub).slice(0, 255), email, name: text(merged.name, 200), groups };
}
