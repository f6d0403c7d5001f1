/// <reference lib="dom" />
// Issue 14, "Done when": the whole first run in a browser. Start a server, log in, create a peer and download
// its config, create a gateway and an HTTP route, add a per-user route user with TOTP on the route's page,
// then log in to the route on its own domain as that user (username, password, TOTP code) and reach the
// upstream.
// Real: the whole control plane in-process (startStack) with the real Caddy binary (TLS from Caddy's internal
// CA, forward auth, the login pages on the route's domain), Debian's Chromium driven by playwright-core (CSP,
// __Host- cookies and redirects as in production), an upstream HTTP server on loopback. Simulated: WireGuard
// is off (the peer is stored and its config compiled, not applied); the server endpoint is set by
// GATEHOUSE_WG_ENDPOINT; the route's domain resolves to 127.0.0.1 by a Chromium host-resolver rule and Caddy's
// internal CA is trusted by its key hash for this browser only (nothing in the host's trust store); the
// route's target is the loopback upstream, not a LAN host behind the gateway (no agent runs here); TOTP codes
// come from otpauth.
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import * as OTPAuth from 'otpauth';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.ts';
import { checkA11y, checkNoOverflow, hasChromium, launchBrowser, screenshot } from './support.ts';

const PASSWORD = 'correct horse battery staple';
const ROUTE_DOMAIN = 'wiki.first-run.test';
const ROUTE_USER = { username: 'alice', password: 'alice has a long password' };
/** Every wait in this file is bounded by this (playwright's default would be 30 s per action). */
const WAIT_MS = 15_000;

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let upstream: http.Server;
let upstreamPort = 0;
const state: { peerId?: number; gatewayId?: number; routeId?: number; totpSecret?: string } = {};

/** An upstream on loopback that says who it is and which user Caddy forwarded. */
function startUpstream(): Promise<void> {
  upstream = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    const user = String(req.headers['remote-user'] ?? 'nobody').replace(/[^\w.@-]/g, '');
    res.end(`<!doctype html><title>Wiki</title><h1>First-run upstream</h1><p id="who">user=${user}</p>`);
  });
  return new Promise((resolve) =>
    upstream.listen(0, '127.0.0.1', () => {
      upstreamPort = (upstream.address() as AddressInfo).port;
      resolve();
    }),
  );
}

/** The SHA-256 of a certificate's public key (SPKI), as Chromium's --ignore-certificate-errors-spki-list wants it. */
function spkiHash(pem: Buffer): string {
  const der = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

/**
 * Chromium matches the keys of the chain the server presents (leaf and intermediate, never the root), so the
 * list holds Caddy's intermediate and root CA keys: only certificates Caddy's own CA issued are accepted.
 */
function caddyCaHashes(): string[] {
  const dir = path.join(stack.dir, 'caddy', 'pki', 'authorities', 'local');
  return ['intermediate.crt', 'root.crt'].map((file) => spkiHash(readFileSync(path.join(dir, file))));
}

const routeOrigin = () => `https://${ROUTE_DOMAIN}:${stack.httpsPort}`;

describe.skipIf(!hasChromium)('first run in Chromium', () => {
  beforeAll(async () => {
    stack = await startStack({ GATEHOUSE_WG_ENDPOINT: 'vpn.first-run.test' });
    await startUpstream();
    browser = await launchBrowser({
      timeout: WAIT_MS,
      extraArgs: [
        // The route's domain is Caddy on loopback; only Caddy's own CA is accepted for it.
        `--host-resolver-rules=MAP ${ROUTE_DOMAIN} 127.0.0.1`,
        `--ignore-certificate-errors-spki-list=${caddyCaHashes().join(',')}`,
      ],
    });
    context = await browser.newContext({
      baseURL: stack.server.url,
      viewport: { width: 1280, height: 800 },
      acceptDownloads: true,
    });
    context.setDefaultTimeout(WAIT_MS);
    context.setDefaultNavigationTimeout(WAIT_MS);
    // Only the control plane and the route under test: any other request is a bug.
    const allowed = [new URL(stack.server.url).origin, routeOrigin()];
    await context.route('**/*', (route) =>
      allowed.some((origin) => route.request().url().startsWith(origin)) ? route.continue() : route.abort(),
    );
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (upstream ? upstream.close(resolve) : resolve(undefined)));
    await stack?.stop();
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail' && page && !page.isClosed())
      await screenshot(page, `FAILED-first-run-${task.name}`).catch(() => {});
  });

  it('logs in to the dashboard', async () => {
    await page.goto('/');
    await page.waitForURL((url) => url.pathname === '/login');
    await page.getByLabel('Username', { exact: true }).fill('admin');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL((url) => url.pathname === '/');
    await expect.poll(() => page.getByRole('heading', { name: 'Overview' }).count(), { timeout: WAIT_MS }).toBe(1);
  });

  it('creates a peer and downloads its WireGuard config', async () => {
    await page.goto('/peers/new');
    await page.getByLabel('Name', { exact: true }).fill('first-laptop');
    await page.getByRole('button', { name: 'Create peer' }).click();
    await expect.poll(() => page.locator('.flash').innerText(), { timeout: WAIT_MS }).toContain('Peer created');
    state.peerId = Number(new URL(page.url()).pathname.split('/')[2]);
    expect(state.peerId).toBeGreaterThan(0);
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: WAIT_MS }),
      page.getByRole('link', { name: 'Download config' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('first-laptop.conf');
    const conf = readFileSync((await download.path())!, 'utf8');
    expect(conf).toContain('[Interface]');
    expect(conf).toMatch(/PrivateKey = [A-Za-z0-9+/]{43}=/);
    expect(conf).toContain('Endpoint = vpn.first-run.test:51820');
  });

  it('creates a gateway (the agent command is shown once)', async () => {
    await page.goto('/gateways');
    await page.getByLabel('Name', { exact: true }).fill('home');
    await page.getByLabel('WireGuard peer', { exact: true }).selectOption('new');
    await page.getByLabel('LAN networks', { exact: true }).fill('192.168.60.0/24');
    await page.getByRole('button', { name: 'Create gateway' }).click();
    await expect.poll(() => page.locator('.flash').innerText(), { timeout: WAIT_MS }).toContain('Gateway created');
    expect((await page.locator('#agent-command').innerText()).trim()).toMatch(/--token gtw_[\w-]+$/);
    const href = await page.locator('tbody a[href^="/gateways/"]').first().getAttribute('href');
    state.gatewayId = Number(href!.split('/')[2]);
    expect(state.gatewayId).toBeGreaterThan(0);
  });

  it('creates an HTTP route to the upstream', async () => {
    await page.goto('/routes/new');
    await page.getByLabel('Domain', { exact: true }).fill(ROUTE_DOMAIN);
    await page.getByLabel('Target host', { exact: true }).fill('127.0.0.1');
    await page.getByLabel('Target port', { exact: true }).fill(String(upstreamPort));
    await page.getByRole('button', { name: 'Create route' }).click();
    await expect.poll(() => page.locator('.flash').innerText(), { timeout: WAIT_MS }).toContain('Route created');
    state.routeId = Number(new URL(page.url()).pathname.split('/')[2]);
    expect(state.routeId).toBeGreaterThan(0);
  });

  it("adds a route user with TOTP on the route's page, then turns on the per-user login", async () => {
    await page.goto(`/routes/${state.routeId}`);
    const users = page.getByRole('region', { name: 'Users' });
    expect(await users.innerText()).toContain('No users yet.');
    await users.getByLabel('Username', { exact: true }).fill(ROUTE_USER.username);
    await users.getByLabel('Password', { exact: true }).fill(ROUTE_USER.password);
    await users.getByRole('button', { name: 'Add user' }).click();
    await expect.poll(() => page.locator('.flash').innerText(), { timeout: WAIT_MS }).toContain('User added');
    expect(await page.locator('#route-user-enrolment figure.qr svg').count()).toBe(1);
    state.totpSecret = (await page.locator('#route-user-enrolment code.secret').innerText()).trim();
    expect(state.totpSecret).toMatch(/^[A-Z2-7]{16,}$/);
    await screenshot(page, 'first-run-route-user-added');

    await page.getByLabel('Ask for a password before the site (login page)', { exact: true }).check();
    await page.getByLabel('Method', { exact: true }).selectOption('password_totp');
    await page.getByRole('button', { name: 'Save route' }).click();
    await expect.poll(() => page.locator('.flash').innerText(), { timeout: WAIT_MS }).toContain('Route saved');
    // Reloaded: the secret is not shown again; the user is listed.
    expect(await page.locator('#route-user-enrolment').count()).toBe(0);
    expect(await page.getByRole('region', { name: 'Users' }).innerText()).toContain(ROUTE_USER.username);
    await checkA11y(page, 'route page with users');

    // Removing asks first and says what is cut; cancelling keeps the user. Also on a phone-sized screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await checkNoOverflow(page, 'route page with users');
    await page.getByRole('link', { name: `Remove ${ROUTE_USER.username}` }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/remove'));
    const confirm = await page.locator('main').innerText();
    expect(confirm).toContain(`${ROUTE_USER.username} can no longer log in to ${ROUTE_DOMAIN}`);
    expect(confirm).toContain('last way into this route');
    await checkA11y(page, 'remove route user');
    await checkNoOverflow(page, 'remove route user');
    await screenshot(page, 'first-run-remove-route-user');
    // The last way in cannot be removed: no button, only the way back.
    expect(await page.getByRole('button', { name: `Remove ${ROUTE_USER.username}` }).count()).toBe(0);
    await page.getByRole('link', { name: 'Back to the route' }).click();
    await page.waitForURL((url) => url.pathname === `/routes/${state.routeId}`);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('logs in to the route as that user (username, password, TOTP code) and reaches the upstream', async () => {
    // Caddy applies the saved route within moments; until then the domain has no certificate or login yet.
    const deadline = Date.now() + WAIT_MS;
    let lastError = '';
    for (;;) {
      lastError = await page
        .goto(`${routeOrigin()}/docs?page=1`, { timeout: 5_000 })
        .then(() => '')
        .catch((err: Error) => err.message.split('\n')[0] ?? 'navigation failed');
      if (new URL(page.url()).pathname === '/.gatehouse/login') break;
      if (Date.now() > deadline) throw new Error(`no login page on ${ROUTE_DOMAIN}: ${lastError || page.url()}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await page.getByLabel('Username', { exact: true }).fill(ROUTE_USER.username);
    await page.getByLabel('Password', { exact: true }).fill(ROUTE_USER.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL((url) => url.pathname === '/.gatehouse/totp');
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(state.totpSecret!), digits: 6, period: 30 });
    await page.getByLabel('Code', { exact: true }).fill(totp.generate());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL((url) => url.pathname === '/docs' && url.search === '?page=1');
    expect(await page.getByRole('heading', { name: 'First-run upstream' }).count()).toBe(1);
    expect(await page.locator('#who').innerText()).toBe(`user=${ROUTE_USER.username}`);
    await screenshot(page, 'first-run-route-upstream');
  });
});
