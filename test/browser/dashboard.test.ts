/// <reference lib="dom" />
// Real: the whole control plane in-process (startStack) with the real Caddy binary, the dashboard served by
// it, Debian's Chromium driven by playwright-core (CSP and cookies as in production), TCP through Caddy's L4
// listeners, axe-core in the page. Simulated: WireGuard is off (peers are stored and compiled, not applied),
// the server endpoint is a made-up name (the config file only needs one), TOTP codes come from otpauth.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { eq } from 'drizzle-orm';
import * as OTPAuth from 'otpauth';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adminSessions } from '../../src/db/schema/index.ts';
import { agent } from '../helpers/gateway.ts';
import { echoServer, freePort, tcpRoundTrip } from '../helpers/net.ts';
import { type Stack, startStack } from '../helpers/stack.ts';
import { checkA11y, checkNoOverflow, hasChromium, launchBrowser, newContext, screenshot } from './support.ts';

const PASSWORD = 'correct horse battery staple';
let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let totpSecret: string | undefined;
let echo: Awaited<ReturnType<typeof echoServer>>;
const state: {
  peerId?: number;
  peerAddress?: string;
  routeId?: number;
  listenPort?: number;
  gatewayId?: number;
  gatewayToken?: string;
  gatewayPort?: number;
} = {};

const TOTP_STEP_MS = 30_000;
const totpAt = (timestamp: number) =>
  new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(totpSecret!), digits: 6, period: 30 }).generate({ timestamp });
let lastTotpStep = -1;

/**
 * A code the server has not seen: it takes each time step once (replay protection) and accepts the steps next
 * to the current one, so a second code within one step is the next step's, and a third waits for the clock.
 */
async function code(): Promise<string> {
  const step = Math.max(lastTotpStep + 1, Math.floor(Date.now() / TOTP_STEP_MS));
  const wait = (step - 1) * TOTP_STEP_MS - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait + 500));
  lastTotpStep = step;
  return totpAt(step * TOTP_STEP_MS);
}

/**
 * A free port whose upper neighbour is free too: the conflict suggestion searches outward from the taken
 * port (+1 first), and other processes on this machine may hold ports right next to a random one.
 */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await freePort();
    const next = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port + 1, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (next && port < 65535) return port;
  }
  throw new Error('no free port pair');
}

async function login(p: Page) {
  await p.goto('/login');
  await p.getByLabel('Username', { exact: true }).fill('admin');
  await p.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await p.getByRole('button', { name: 'Log in' }).click();
  if (totpSecret) {
    await expect.poll(() => p.getByRole('heading', { name: 'Two-factor code' }).count()).toBe(1);
    await p.getByLabel('Code', { exact: true }).fill(await code());
    await p.getByRole('button', { name: 'Verify' }).click();
  }
  await p.waitForURL((url) => !url.pathname.startsWith('/login'));
}

describe.skipIf(!hasChromium)('dashboard in Chromium', () => {
  beforeAll(async () => {
    stack = await startStack({ GATEHOUSE_WG_ENDPOINT: 'vpn.example.com' });
    echo = await echoServer('echo:');
    browser = await launchBrowser();
    context = await newContext(browser, stack.server.url);
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await echo?.close();
    await stack?.stop();
  });
  // A failed test keeps a picture of where it stopped.
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail' && page && !page.isClosed())
      await screenshot(page, `FAILED-${task.name}`).catch(() => {});
  });

  it('logs in with the keyboard: Tab through the form, submit with Enter', async () => {
    await page.goto('/');
    await expect.poll(() => new URL(page.url()).pathname).toBe('/login');
    await checkA11y(page, 'login');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('username');
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('password');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === '/');
    await expect.poll(() => page.getByRole('heading', { name: 'Overview' }).count()).toBe(1);
    // The health the server reports: Caddy is really running.
    expect(await page.getByRole('region', { name: 'Caddy' }).innerText()).toContain('running');
    await screenshot(page, 'overview');
  });

  it('enables TOTP with a QR code, then logs in with password and code', async () => {
    await page.goto('/account');
    await page.getByRole('button', { name: 'Set up TOTP' }).click();
    await expect.poll(() => page.locator('figure.qr svg').count()).toBe(1);
    totpSecret = (await page.locator('code.secret').innerText()).trim();
    expect(totpSecret).toMatch(/^[A-Z2-7]{32}$/);
    await page.getByLabel('Code from the app', { exact: true }).fill('000000');
    await page.getByRole('button', { name: 'Turn on TOTP' }).click();
    expect(await page.locator('.error-summary').innerText()).toContain('not the current code');
    await page.getByLabel('Code from the app', { exact: true }).fill(await code());
    await page.getByRole('button', { name: 'Turn on TOTP' }).click();
    await expect.poll(() => page.locator('.flash').innerText()).toContain('TOTP is on');
    // The recovery codes, this once; afterwards only how many are left.
    expect(await page.getByRole('list', { name: 'Recovery codes' }).locator('li').count()).toBe(10);
    await checkA11y(page, 'recovery codes');
    await screenshot(page, 'account-totp-on');
    await page.goto('/account');
    expect(await page.getByRole('list', { name: 'Recovery codes' }).count()).toBe(0);
    expect(await page.locator('#recovery-remaining').innerText()).toContain('Recovery codes left: 10');

    await page.getByRole('button', { name: 'Log out' }).click();
    await expect.poll(() => page.locator('.flash').innerText()).toContain('logged out');
    // A wrong code keeps the browser on the TOTP step and lets nothing in.
    await page.getByLabel('Username', { exact: true }).fill('admin');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByLabel('Code', { exact: true }).fill(totpAt(Date.now()) === '123456' ? '654321' : '123456');
    await page.getByRole('button', { name: 'Verify' }).click();
    expect(await page.locator('.error-summary').innerText()).toContain('not valid');
    expect((await page.request.get('/api/v1/me')).status()).toBe(401);
    await checkA11y(page, 'totp step');
    await screenshot(page, 'login-totp-step');
    await page.getByLabel('Code', { exact: true }).fill(await code());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL((url) => url.pathname === '/');
    expect((await page.request.get('/api/v1/me')).status()).toBe(200);
  });

  it('an expired session sends the browser back to the login page, then to where it was going', async () => {
    await stack.server.db
      .update(adminSessions)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(adminSessions.fullyAuthenticated, true));
    await page.goto('/peers');
    await expect.poll(() => new URL(page.url()).pathname).toBe('/login');
    expect(await page.locator('.flash').innerText()).toContain('session has expired');
    await screenshot(page, 'session-expired');
    await page.getByLabel('Username', { exact: true }).fill('admin');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByLabel('Code', { exact: true }).fill(await code());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL((url) => url.pathname === '/peers');
  });

  it('creates a peer, downloads its config and shows its QR code', async () => {
    await page.goto('/peers');
    await page.getByRole('link', { name: 'New peer' }).click();
    await page.getByLabel('Name', { exact: true }).fill('alice-laptop');
    await page.getByLabel('Tags', { exact: true }).fill('staff, laptops');
    await page.getByLabel('Split tunnel (only these networks)', { exact: true }).check();
    await page.getByLabel('Networks for a split tunnel', { exact: true }).fill('192.168.1.0/24');
    await page.getByRole('button', { name: 'Create peer' }).click();
    await expect.poll(() => page.locator('.flash').innerText()).toContain('Peer created');
    state.peerId = Number(new URL(page.url()).pathname.split('/')[2]);
    state.peerAddress = (await page.locator('dl.facts dd.mono').first().innerText()).trim();
    expect(state.peerAddress).toMatch(/^10\.8\.0\.\d+$/);
    expect(await page.locator('figure.qr svg').count()).toBe(1);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download config' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('alice-laptop.conf');
    const conf = readFileSync((await download.path())!, 'utf8');
    expect(conf).toContain('[Interface]');
    expect(conf).toMatch(/PrivateKey = [A-Za-z0-9+/]{43}=/);
    expect(conf).toContain('Endpoint = vpn.example.com:51820');
    expect(conf).toContain('192.168.1.0/24');
    await screenshot(page, 'peer-detail');

    // A bad name is refused by the same schema as the API, next to the field.
    await page.goto('/peers/new');
    await page.getByLabel('Name', { exact: true }).fill('-bad name!');
    await page.getByRole('button', { name: 'Create peer' }).click();
    expect(await page.locator('#name-error').innerText()).toContain('must start with a letter or digit');
    await page.getByLabel('Name', { exact: true }).fill('bob-phone');
    await page.getByRole('button', { name: 'Create peer' }).click();
    await expect.poll(() => page.locator('.flash').innerText()).toContain('Peer created');
    await page.goto('/peers');
    expect(await page.locator('tbody tr').count()).toBe(2);
    await page.getByRole('button', { name: 'Disable bob-phone' }).click();
    await expect.poll(() => page.locator('.flash').innerText()).toContain('Peer disabled');
    expect(await page.locator('tbody tr', { hasText: 'bob-phone' }).innerText()).toContain('disabled');
  });

  it('creates a direct L4 route through the form; it is listed and carries traffic through Caddy', async () => {
    state.listenPort = await freePortPair();
    await page.goto('/routes/new');
    await page.getByLabel('Layer 4 — a TCP/UDP port', { exact: true }).check();
    // Progressive disclosure: the domain field hides for L4 without TLS, the listen port appears.
    await expect.poll(() => page.getByLabel('Domain', { exact: true }).isVisible()).toBe(false);
    await page.getByLabel('Name', { exact: true }).fill('echo tcp');
    await page.getByLabel('Target host', { exact: true }).fill('127.0.0.1');
    await page.getByLabel('Target port', { exact: true }).fill(String(echo.port));
    await page.getByLabel('Listen port or range', { exact: true }).fill(String(state.listenPort));
    await page.getByLabel('TLS mode', { exact: true }).selectOption('passthrough');
    await expect.poll(() => page.getByLabel('Domain', { exact: true }).isVisible()).toBe(true);
    await page.getByLabel('TLS mode', { exact: true }).selectOption('none');
    await page.getByRole('button', { name: 'Create route' }).click();
    await expect.poll(() => page.locator('.flash').innerText()).toContain('Route created');
    state.routeId = Number(new URL(page.url()).pathname.split('/')[2]);
    await page.goto('/routes?type=l4');
    const row = page.locator('tbody tr', { hasText: 'echo tcp' });
    expect(await row.innerText()).toContain(`:${state.listenPort}`);
    await screenshot(page, 'routes-list');
    expect(await tcpRoundTrip(state.listenPort, 'hi')).toBe('echo:hi');
  });

  it('a port conflict shows the error and the suggested free port next to the field; using it fixes the route', async () => {
    await page.goto('/routes/new');
    await page.getByLabel('Layer 4 — a TCP/UDP port', { exact: true }).check();
    await page.getByLabel('Name', { exact: true }).fill('second echo');
    await page.getByLabel('Target host', { exact: true }).fill('127.0.0.1');
    await page.getByLabel('Target port', { exact: true }).fill(String(echo.port));
    await page.getByLabel('Listen port or range', { exact: true }).fill(String(state.listenPort));
    await page.getByRole('button', { name: 'Create route' }).click();
    const error = await page.locator('#l4_listen_port-error').innerText();
    expect(error).toContain(`conflicts with route ${state.routeId}`);
    const use = page.locator('.suggest button');
    const suggested = (await use.getAttribute('value'))!;
    expect(suggested).toMatch(/^\d+$/);
    expect(await page.getByLabel('Listen port or range', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await checkA11y(page, 'route form with errors');
    await screenshot(page, 'route-port-conflict');
    await use.click();
    expect(await page.getByLabel('Listen port or range', { exact: true }).inputValue()).toBe(suggested);
    await page.getByRole('button', { name: 'Create route' }).click();
    await expect.poll(() => page.locator('.flash').innerText()).toContain('Route created');
    await page.goto('/routes');
    expect(await page.locator('tbody tr', { hasText: 'second echo' }).innerText()).toContain(`:${suggested}`);
    expect(await tcpRoundTrip(Number(suggested), 'yo')).toBe('echo:yo');
  });

  it('a listen port another process holds is reported next to the field, from Caddy itself', async () => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const held = (squatter.address() as net.AddressInfo).port;
    try {
      await page.goto('/routes/new');
      await page.getByLabel('Layer 4 — a TCP/UDP port', { exact: true }).check();
      await page.getByLabel('Target host', { exact: true }).fill('127.0.0.1');
      await page.getByLabel('Target port', { exact: true }).fill(String(echo.port));
      await page.getByLabel('Listen port or range', { exact: true }).fill(String(held));
      await page.getByRole('button', { name: 'Create route' }).click();
      expect(await page.locator('#l4_listen_port-error').innerText()).toContain('address already in use');
      const routes = await stack.request('GET', '/api/v1/routes');
      expect(routes.body.data.some((r: { l4_listen_port: string }) => r.l4_listen_port === String(held))).toBe(false);
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  it('enables the peer ACL and picks peers from the checklist; Caddy then refuses everyone else', async () => {
    await page.goto(`/routes/${state.routeId}`);
    await expect.poll(() => page.getByRole('checkbox', { name: /^alice-laptop/ }).isVisible()).toBe(false);
    await page.getByLabel('Only selected peers may connect', { exact: true }).check();
    await expect.poll(() => page.getByRole('checkbox', { name: /^alice-laptop/ }).isVisible()).toBe(true);
    await page.getByRole('checkbox', { name: /^alice-laptop/ }).check();
    await page.getByLabel('every peer tagged “laptops”', { exact: true }).check();
    await screenshot(page, 'route-acl-panel');
    await page.getByRole('button', { name: 'Save route' }).click();
    await expect.poll(() => page.locator('.flash').innerText()).toContain('Route saved');
    expect(await page.getByRole('checkbox', { name: /^alice-laptop/ }).isChecked()).toBe(true);
    const route = await stack.request('GET', `/api/v1/routes/${state.routeId}`);
    expect(route.body.acl_enabled).toBe(true);
    expect(route.body.acl_peers).toEqual([state.peerId, 'tag:laptops']);
    // 127.0.0.1 is no peer: the data plane closes the connection.
    await expect(tcpRoundTrip(state.listenPort!, 'hi', 1500)).rejects.toThrow();
  });

  it('the explain box says allowed or denied and which rule decided', async () => {
    await page.goto(`/routes/${state.routeId}`);
    await page.getByLabel('Client IP', { exact: true }).fill('203.0.113.9');
    await page.getByRole('button', { name: 'Explain' }).click();
    await expect.poll(() => page.locator('#explain-result').innerText()).toContain('Denied');
    // The peer ACL is the route policy's first rule (the GateControl view): its number and text decide.
    expect(await page.locator('#explain-result').innerText()).toContain('rule #1 matched');
    expect(await page.locator('#explain-result .explain-rule').innerText()).toMatch(/^#1 deny not peer/);
    // htmx swapped the answer in: the page did not navigate.
    expect(new URL(page.url()).pathname).toBe(`/routes/${state.routeId}`);
    await page.getByLabel('Client IP', { exact: true }).fill(state.peerAddress!);
    await page.getByRole('button', { name: 'Explain' }).click();
    await page.getByLabel('Time (RFC 3339, empty: now)', { exact: true }).fill('2026-11-30T09:30:00Z');
    await page.getByRole('button', { name: 'Explain' }).click();
    // The previous answer also says Allowed: wait for this one (its time) before reading it.
    await expect.poll(() => page.locator('#explain-result').innerText()).toContain('At: 2026-11-30T09:30:00Z');
    expect(await page.locator('#explain-result').innerText()).toContain('Allowed');
    await screenshot(page, 'route-explain');
    await page.getByLabel('Time (RFC 3339, empty: now)', { exact: true }).fill('2026-02-30T09:30:00Z');
    await page.getByRole('button', { name: 'Explain' }).click();
    await expect.poll(() => page.locator('#explain-result').innerText()).toContain('not a real date');
    await page.getByLabel('Time (RFC 3339, empty: now)', { exact: true }).fill('');
    await page.getByLabel('Client IP', { exact: true }).fill('not-an-ip');
    await page.getByRole('button', { name: 'Explain' }).click();
    await expect.poll(() => page.locator('#explain-result').innerText()).toContain('is not an IP address');
  });

  it('creates an HTTP route with a login page and a rate limit through the form', async () => {
    await page.goto('/routes/new');
    // HTTP is the default type: the listener fields for L4 stay hidden, the domain shows.
    expect(await page.getByLabel('Listen port or range', { exact: true }).isVisible()).toBe(false);
    await page.getByLabel('Domain', { exact: true }).fill('Wiki.Example.com');
    await page.getByLabel('Target host', { exact: true }).fill('127.0.0.1');
    await page.getByLabel('Target port', { exact: true }).fill(String(echo.port));
    await page.getByLabel('Limit requests (HTTP) or new connections (L4) per client IP', { exact: true }).check();
    await page.getByLabel('Requests', { exact: true }).fill('20');
    await page.getByLabel('Per', { exact: true }).selectOption('1m');
    await page.getByLabel('Ask for a password before the site (login page)', { exact: true }).check();
    await page.getByLabel('Shared password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Create route' }).click();
    expect(await page.locator('#auth_password-error').innerText()).toContain('at least 8 characters');
    // The password is never echoed back into the page.
    expect(await page.getByLabel('Shared password', { exact: true }).inputValue()).toBe('');
    await page.getByLabel('Shared password', { exact: true }).fill('a long shared secret');
    await page.getByRole('button', { name: 'Create route' }).click();
    await expect.poll(() => page.locator('.flash').innerText()).toContain('Route created');
    expect(await page.getByLabel('Shared password', { exact: true }).getAttribute('aria-describedby')).toBeTruthy();
    expect(await page.locator('#auth_password-hint').innerText()).toContain('A password is set');
    await page.goto('/routes?type=http&q=wiki');
    const row = page.locator('tbody tr', { hasText: 'wiki.example.com' });
    expect(await row.innerText()).toContain('rate limit, login');
    expect(await page.locator('tbody tr').count()).toBe(1);
  });

  it('edits a peer (name, expiry) and deletes it', async () => {
    await page.goto('/peers');
    await page.getByRole('link', { name: 'bob-phone' }).click();
    await page.getByLabel('Name', { exact: true }).fill('bob-phone-2');
    await page.getByLabel('Expires (UTC)', { exact: true }).fill('2031-01-02T03:04');
    await page.getByRole('button', { name: 'Save peer' }).click();
    await expect.poll(() => page.locator('.flash').innerText()).toContain('Peer saved');
    expect(await page.locator('dl.facts').innerText()).toContain('2031-01-02 03:04 UTC');
    await page.getByRole('link', { name: 'Delete bob-phone-2…' }).click();
    await page.getByRole('button', { name: 'Delete bob-phone-2' }).click();
    await expect.poll(() => page.locator('.flash').innerText()).toContain('Peer deleted');
    expect(await page.locator('tbody').innerText()).not.toContain('bob-phone');
  });

  it('creates an API token (shown once) and revokes it; the API refuses it at once', async () => {
    await page.goto('/tokens');
    await page.getByLabel('Name', { exact: true }).fill('ci deploy');
    await page.getByLabel('Scope', { exact: true }).selectOption('write');
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = (await page.locator('#new-token').innerText()).trim();
    expect(token).toMatch(/^gth_/);
    const me = (t: string) =>
      fetch(`${stack.server.url}/api/v1/me`, { headers: { authorization: `Bearer ${t}` } }).then((r) => r.status);
    expect(await me(token)).toBe(200);
    await screenshot(page, 'token-created');
    await page.reload();
    expect(await page.locator('#new-token').count()).toBe(0);
    await page.goto('/tokens');
    await page.getByRole('link', { name: 'Revoke token ci deploy' }).click();
    await page.getByRole('button', { name: 'Revoke ci deploy' }).click();
    await expect.poll(() => page.locator('.flash').innerText()).toContain('Token revoked');
    expect(await page.locator('tbody tr', { hasText: 'ci deploy' }).innerText()).toContain('revoked');
    expect(await me(token)).toBe(401);
  });

  it('refuses a form post without the CSRF token', async () => {
    const res = await page.request.post('/tokens', { form: { name: 'sneaky', scope: 'admin' } });
    expect(res.status()).toBe(403);
    const tokens = await stack.request('GET', '/api/v1/tokens');
    expect(tokens.body.data.map((t: { name: string }) => t.name)).not.toContain('sneaky');
  });

  it('the basic forms work without JavaScript', async () => {
    const noJs = await newContext(browser, stack.server.url, { javaScriptEnabled: false });
    const p = await noJs.newPage();
    try {
      await login(p);
      await p.goto('/peers/new');
      await p.getByLabel('Name', { exact: true }).fill('carol-tablet');
      await p.getByRole('button', { name: 'Create peer' }).click();
      await expect.poll(() => p.locator('.flash').innerText()).toContain('Peer created');
      const port = await freePort();
      await p.goto('/routes/new');
      await p.getByLabel('Layer 4 — a TCP/UDP port', { exact: true }).check();
      await p.getByLabel('Name', { exact: true }).fill('nojs route');
      await p.getByLabel('Target host', { exact: true }).fill('127.0.0.1');
      await p.getByLabel('Target port', { exact: true }).fill(String(echo.port));
      await p.getByLabel('Listen port or range', { exact: true }).fill(String(port));
      // The IP filter's blank rows take new rules without the "Add rule" script.
      await p.getByLabel('Filter by client IP, network or country', { exact: true }).check();
      await p.locator('#rule_value_0').fill('10.0.0.0/99');
      await p.locator('#rule_type_0').selectOption('cidr');
      await p.getByRole('button', { name: 'Create route' }).click();
      // A bad rule is named next to its own row.
      expect(await p.locator('#rule_value_0-error').innerText()).toContain('is not a CIDR range');
      await p.locator('#rule_value_0').fill('10.0.0.0/8');
      await p.getByRole('button', { name: 'Create route' }).click();
      await expect.poll(() => p.locator('.flash').innerText()).toContain('Route created');
      expect(await p.locator('#rule_value_0').inputValue()).toBe('10.0.0.0/8');
      // Explain without htmx: a plain GET renders the page with the answer.
      await p.getByLabel('Client IP', { exact: true }).fill('10.1.2.3');
      await p.getByRole('button', { name: 'Explain' }).click();
      await expect.poll(() => p.locator('#explain-result').innerText()).toContain('Allowed');
      await screenshot(p, 'no-javascript-route');
    } finally {
      await noJs.close();
    }
  });

  it('creates a gateway (token and agent command shown once) and an L4 gateway route through the form', async () => {
    await page.goto('/gateways');
    await page.getByLabel('Name', { exact: true }).fill('home-office');
    await page.getByLabel('WireGuard peer', { exact: true }).selectOption('new');
    await page.getByLabel('LAN networks', { exact: true }).fill('192.168.50.0/24');
    await page.getByRole('button', { name: 'Create gateway' }).click();
    await expect.poll(() => page.locator('.flash').innerText()).toContain('Gateway created');
    const command = (await page.locator('#agent-command').innerText()).trim();
    expect(command).toMatch(new RegExp(`^gatehouse gateway --server ${stack.server.url} --token gtw_[\\w-]+$`));
    state.gatewayToken = command.split(' ').at(-1);
    state.gatewayId = Number(
      (await page.locator('tbody a[href^="/gateways/"]').first().getAttribute('href'))!.split('/')[2],
    );
    await screenshot(page, 'gateway-created');
    await page.reload();
    expect(await page.locator('#agent-command').count()).toBe(0);

    state.gatewayPort = await freePort();
    await page.goto('/routes/new');
    await page.getByLabel('Layer 4 — a TCP/UDP port', { exact: true }).check();
    await page.getByLabel('A LAN host behind a gateway', { exact: true }).check();
    await expect.poll(() => page.getByLabel('Target host', { exact: true }).isVisible()).toBe(false);
    expect(await page.getByLabel('Target port', { exact: true }).isVisible()).toBe(false);
    expect(await page.getByLabel('MAC address', { exact: true }).isVisible()).toBe(false);
    await page.getByLabel('Name', { exact: true }).fill('office rdp');
    await page.getByLabel('Gateway', { exact: true }).selectOption(String(state.gatewayId));
    await page.getByLabel('LAN host', { exact: true }).fill('192.168.50.10');
    await page.getByLabel('LAN port', { exact: true }).fill('3389');
    await page.getByLabel('Protocol', { exact: true }).selectOption('tcp');
    await page.getByLabel('Listen port or range', { exact: true }).fill(String(state.gatewayPort));
    await page.getByLabel('Wake-on-LAN: wake the target when it does not answer', { exact: true }).check();
    await page.getByLabel('MAC address', { exact: true }).fill('AA-BB-CC-DD-EE-01');
    await screenshot(page, 'route-form-gateway');
    await page.getByRole('button', { name: 'Create route' }).click();
    await expect.poll(() => page.locator('.flash').innerText()).toContain('Route created');
    await page.goto('/routes?target_kind=gateway');
    const row = page.locator('tbody tr', { hasText: 'office rdp' });
    expect(await row.innerText()).toContain(`:${state.gatewayPort}`);
    expect(await row.innerText()).toContain('192.168.50.10:3389');
    const route = await stack.request('GET', `/api/v1/routes?target_kind=gateway`);
    expect(route.body.data[0]).toMatchObject({
      gateway_id: state.gatewayId,
      wol_enabled: true,
      wol_mac: 'aa:bb:cc:dd:ee:01',
    });
    await page.goto(`/gateways/${state.gatewayId}`);
    expect(await page.getByRole('region', { name: 'Routes through this gateway' }).innerText()).toContain('office rdp');
  });

  it("a gateway's status changes live when its agent connects, and again when it goes away", async () => {
    await page.goto('/gateways');
    const status = page.locator(`#gw-${state.gatewayId}-status`);
    expect(await status.innerText()).toContain('offline');
    // A marker in the page: if it survives, the change arrived over the event stream, not by a reload.
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 42;
    });
    const gw = agent(stack.server.url, state.gatewayToken!);
    try {
      await gw.agent.start();
      await expect.poll(() => status.innerText(), { timeout: 15_000 }).toContain('online');
      await expect
        .poll(() => page.locator(`#gw-${state.gatewayId}-config`).innerText(), { timeout: 15_000 })
        .toContain('current');
      expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
      await screenshot(page, 'gateway-online-live');
    } finally {
      await gw.cleanup();
    }
    await expect.poll(() => status.innerText(), { timeout: 15_000 }).toContain('offline');
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
  });

  it('every page passes axe (no serious or critical violations) and fits 390×844 and 1280×800', async () => {
    const paths = [
      '/',
      '/peers',
      '/peers/new',
      `/peers/${state.peerId}`,
      '/routes',
      '/routes/new',
      `/routes/${state.routeId}`,
      '/gateways',
      `/gateways/${state.gatewayId}`,
      '/tokens',
      '/settings',
      '/account',
    ];
    const minor: string[] = [];
    for (const path of paths) {
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.goto(path);
      expect(new URL(page.url()).pathname, `${path} did not redirect`).toBe(path);
      for (const v of await checkA11y(page, path)) minor.push(`${path}: ${v.id} (${v.impact})`);
      await checkNoOverflow(page, `${path} at 1280×800`);
      await page.setViewportSize({ width: 390, height: 844 });
      await checkNoOverflow(page, `${path} at 390×844`);
      await screenshot(page, `phone${path === '/' ? '-overview' : path.replace(/\//g, '-')}`);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
    if (minor.length) console.log(`axe: moderate/minor findings:\n  ${minor.join('\n  ')}`);
  });
});
