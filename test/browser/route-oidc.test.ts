/// <reference lib="dom" />
// Issue 16, "Done when": a browser reaches a protected route through the test's OpenID provider and the upstream
// sees the identity headers; a second route under the same parent domain opens without a new login (the opt-in
// SSO cookie); logout on one ends both; a user outside the allowed group gets a 403 page, not a login loop.
// Real: the whole control plane in-process with the real Caddy binary (TLS from Caddy's internal CA, forward auth,
// the login pages and the callback on the routes' own domains, the policy engine's explain for the group rule),
// the real `oidc-provider` on loopback (test/helpers/oidc-provider.ts), Debian's Chromium driven by playwright-core
// (cross-site redirects, SameSite and Domain cookies, CSP as in production), an upstream HTTP server on loopback
// that records the headers Caddy forwarded. Simulated: the routes' domains resolve to 127.0.0.1 by a Chromium
// host-resolver rule and Caddy's internal CA is trusted by its key hash for this browser only; WireGuard is off.
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentityProvider } from '../../src/services/identity-providers/save.ts';
import { silentLogger } from '../helpers/env.ts';
import {
  callbackCandidates,
  startTestProvider,
  type TestProvider,
  testProviderInput,
} from '../helpers/oidc-provider.ts';
import { httpsGet, type Stack, startStack } from '../helpers/stack.ts';
import { hasChromium, launchBrowser, screenshot } from './support.ts';

const WAIT_MS = 15_000;
const PARENT = 'sso.test';
const HOSTS = { app: `app.${PARENT}`, other: `other.${PARENT}` } as const;

let stack: Stack;
let provider: TestProvider;
let browser: Browser;
let upstream: http.Server;
let upstreamPort = 0;
/** What the upstream saw, newest last: host and the identity headers (and any cookie of ours). */
const seen: { host: string; headers: http.IncomingHttpHeaders }[] = [];

function startUpstream(): Promise<void> {
  upstream = http.createServer((req, res) => {
    seen.push({ host: String(req.headers.host), headers: req.headers });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Upstream</title><h1>Protected upstream</h1>');
  });
  return new Promise((resolve) =>
    upstream.listen(0, '127.0.0.1', () => {
      upstreamPort = (upstream.address() as AddressInfo).port;
      resolve();
    }),
  );
}

function spkiHash(pem: Buffer): string {
  const der = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}
const caddyCaHashes = () =>
  ['intermediate.crt', 'root.crt'].map((file) =>
    spkiHash(readFileSync(path.join(stack.dir, 'caddy', 'pki', 'authorities', 'local', file))),
  );

const origin = (host: string) => `https://${host}:${stack.httpsPort}`;

/** A browser profile that may reach the two routes and the provider, nothing else. */
async function loopbackContext(): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 700 } });
  ctx.setDefaultTimeout(WAIT_MS);
  ctx.setDefaultNavigationTimeout(WAIT_MS);
  const allowed = [origin(HOSTS.app), origin(HOSTS.other), new URL(provider.issuer).origin];
  await ctx.route('**/*', (route) =>
    allowed.some((o) => route.request().url().startsWith(o)) ? route.continue() : route.abort(),
  );
  return ctx;
}

/** Signs in at the provider's own login page (the test provider takes any known account name). */
async function signInAtProvider(page: Page, login: string) {
  await page.waitForURL((url) => url.href.startsWith(provider.issuer));
  await page.getByLabel('Login').fill(login);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function createRoute(host: string, providerId: number) {
  const res = await stack.request('POST', '/api/v1/routes', {
    domain: host,
    target_host: '127.0.0.1',
    target_port: upstreamPort,
    auth_method: 'oidc',
    auth_provider_id: providerId,
    auth_sso_domain: PARENT,
    policy: {
      rules: [{ action: 'allow', login: true, conditions: [{ type: 'group', values: ['staff'] }] }],
      default: 'deny',
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

describe.skipIf(!hasChromium)('route login through OpenID Connect, with single sign-on (Chromium, real Caddy)', () => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack();
    await startUpstream();
    provider = await startTestProvider({
      redirectUris: [
        ...Object.values(HOSTS).map((h) => `${origin(h)}/.gatehouse/oidc/callback`),
        ...callbackCandidates(stack.server.url),
      ],
      accounts: {
        alice: { email: 'alice@example.test', name: 'Alice Liddell', groups: ['staff', 'ops'] },
        bob: { email: 'bob@example.test', name: 'Bob', groups: ['guests'] },
      },
    });
    const ctx = {
      db: stack.server.db,
      config: stack.config,
      logger: silentLogger,
      now: () => new Date(),
      actor: { kind: 'system' as const },
    };
    const idp = await createIdentityProvider({
      ctx,
      origin: stack.server.url,
      input: testProviderInput(provider),
    });
    for (const host of Object.values(HOSTS)) await createRoute(host, idp.id);
    browser = await launchBrowser({
      timeout: WAIT_MS,
      extraArgs: [
        `--host-resolver-rules=MAP *.${PARENT} 127.0.0.1`,
        `--ignore-certificate-errors-spki-list=${caddyCaHashes().join(',')}`,
      ],
    });
    context = await loopbackContext();
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await provider?.stop();
    await new Promise((resolve) => (upstream ? upstream.close(resolve) : resolve(undefined)));
    await stack?.stop();
  });

  it('reaches the route through the provider, and the upstream sees who logged in', async () => {
    // Caddy applies the saved routes within moments; until then the domain has no certificate or login yet.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await page.goto(`${origin(HOSTS.app)}/docs?page=1`, { timeout: 5_000 }).catch(() => null);
      if (res && page.url().startsWith(provider.issuer)) break;
      if (Date.now() > deadline) throw new Error(`the route login never showed up (at ${page.url()})`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await signInAtProvider(page, 'alice');
    await page.waitForURL(`${origin(HOSTS.app)}/docs?page=1`);
    expect(await page.getByRole('heading', { name: 'Protected upstream' }).count()).toBe(1);
    await screenshot(page, 'route-oidc-upstream');
    const last = seen.at(-1)!;
    expect(last.host).toContain(HOSTS.app);
    expect(last.headers).toMatchObject({
      'remote-user': 'alice@example.test',
      'remote-email': 'alice@example.test',
      'remote-name': 'Alice Liddell',
      'remote-groups': 'staff,ops',
    });
    // The session token never reaches the upstream.
    expect(String(last.headers.cookie ?? '')).not.toContain('gatehouse');
    const cookies = await context.cookies();
    const sso = cookies.find((c) => c.name === '__Secure-gatehouse_sso');
    expect(sso).toMatchObject({ domain: `.${PARENT}`, httpOnly: true, secure: true, sameSite: 'Lax' });
  });

  it('opens the second route under the same parent domain without a new login', async () => {
    const providerRequests: string[] = [];
    const onRequest = (req: { url: () => string }) => {
      if (req.url().startsWith(provider.issuer)) providerRequests.push(req.url());
    };
    page.on('request', onRequest);
    await page.goto(`${origin(HOSTS.other)}/wiki`);
    page.off('request', onRequest);
    expect(page.url()).toBe(`${origin(HOSTS.other)}/wiki`);
    expect(await page.getByRole('heading', { name: 'Protected upstream' }).count()).toBe(1);
    expect(providerRequests).toEqual([]);
    expect(seen.at(-1)!.host).toContain(HOSTS.other);
    expect(seen.at(-1)!.headers['remote-email']).toBe('alice@example.test');
  });

  it('logout on one route ends the session on both (server-side, not only the cookie)', async () => {
    const token = (await context.cookies()).find((c) => c.name === '__Secure-gatehouse_sso')!.value;
    await page.goto(`${origin(HOSTS.other)}/.gatehouse/logout`);
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect.poll(() => page.textContent('h1')).toBe('Logged out');
    await screenshot(page, 'route-oidc-logged-out');
    expect((await context.cookies()).some((c) => c.name === '__Secure-gatehouse_sso')).toBe(false);
    // The old cookie, sent anyway (as a copy of it would be), opens neither route.
    for (const host of Object.values(HOSTS)) {
      const res = await httpsGet(stack, host, '/', { Cookie: `__Secure-gatehouse_sso=${token}` });
      expect(res.status, host).toBe(302);
      expect(res.headers.location).toBe('/.gatehouse/login?rd=%2F');
    }
  });

  it('a user outside the allowed group gets a 403 page, not a login loop', async () => {
    const other = await loopbackContext();
    const guest = await other.newPage();
    await guest.goto(`${origin(HOSTS.app)}/`);
    await signInAtProvider(guest, 'bob');
    await guest.waitForURL(`${origin(HOSTS.app)}/`);
    await expect.poll(() => guest.textContent('h1')).toBe('Not allowed');
    expect(await guest.textContent('main')).toContain('bob@example.test');
    const again = await guest.goto(`${origin(HOSTS.app)}/`);
    expect(again?.status()).toBe(403);
    expect(guest.url()).toBe(`${origin(HOSTS.app)}/`);
    await screenshot(guest, 'route-oidc-forbidden');
    expect(seen.some((s) => s.headers['remote-email'] === 'bob@example.test')).toBe(false);
    await other.close();
  });
});
