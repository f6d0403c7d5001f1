/// <reference lib="dom" />
// Issue 14, the operator's daily path in a real browser: the route form's headers, upstreams, load balancing and
// health check round-trip through a save; copy buttons put the right text on the clipboard; destructive actions
// go through a confirm page that names what they cut; peer and gateway pages stay readable on a phone (item 8).
// Real: the whole control plane in-process (startStack) with the real Caddy binary, Debian's Chromium driven by
// playwright-core with clipboard permissions. Simulated: WireGuard is off (peers are stored, not applied), the
// server endpoint is a made-up name (the config file only needs one).
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.ts';
import { checkA11y, hasChromium, launchBrowser, newContext, screenshot } from './support.ts';

const PASSWORD = 'correct horse battery staple';
let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const ids: { peer?: number; gateway?: number } = {};

async function login(p: Page) {
  await p.goto('/login');
  await p.getByLabel('Username', { exact: true }).fill('admin');
  await p.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await p.getByRole('button', { name: 'Log in' }).click();
  await p.waitForURL((url) => !url.pathname.startsWith('/login'));
}

describe.skipIf(!hasChromium)('dashboard: daily tasks in Chromium', () => {
  beforeAll(async () => {
    stack = await startStack({ GATEHOUSE_WG_ENDPOINT: 'vpn.example.com' });
    browser = await launchBrowser();
    context = await newContext(browser, stack.server.url);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.server.url });
    page = await context.newPage();
    await login(page);
    const peer = await stack.request('POST', '/api/v1/peers', { name: 'alice-laptop-with-a-long-name' });
    expect(peer.status).toBe(201);
    ids.peer = peer.body.id;
    const gateway = await stack.request('POST', '/api/v1/gateways', {
      name: 'home-office',
      peer_id: null,
      lan_networks: ['192.168.50.0/24', '10.20.0.0/16'],
    });
    expect(gateway.status).toBe(201);
    ids.gateway = gateway.body.id;
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail' && page && !page.isClosed())
      await screenshot(page, `FAILED-daily-${task.name}`).catch(() => {});
  });

  it('item 8: at 375×667 the detail values get real width and the QR code stays scannable (≥ 200 px)', async () => {
    const phone = await browser.newContext({ baseURL: stack.server.url, viewport: { width: 375, height: 667 } });
    await phone.addCookies(await context.cookies());
    const p = await phone.newPage();
    try {
      for (const path of [`/peers/${ids.peer}`, `/gateways/${ids.gateway}`]) {
        await p.goto(path);
        const widths = await p.$$eval('dl.facts dd', (dds) => dds.map((dd) => dd.getBoundingClientRect().width));
        expect(widths.length, path).toBeGreaterThan(3);
        expect(Math.min(...widths), `${path}: narrowest value cell`).toBeGreaterThan(100);
        await screenshot(p, `phone ${path}`);
      }
      await p.goto(`/peers/${ids.peer}`);
      const qr = await p.locator('.qr svg').boundingBox();
      expect(qr?.width ?? 0).toBeGreaterThanOrEqual(200);
      expect(qr?.height ?? 0).toBeGreaterThanOrEqual(200);
    } finally {
      await phone.close();
    }
  });

  it('the route form saves custom headers, upstreams, the LB policy and a health check, and shows them again', async () => {
    await page.goto('/routes/new');
    await page.getByLabel('Domain', { exact: true }).fill('shop.example.com');
    await page.getByLabel('Target host', { exact: true }).fill('10.0.0.5');
    await page.getByLabel('Target port', { exact: true }).fill('8080');
    await page.getByLabel('Header 1 name', { exact: true }).fill('X-Env');
    await page.locator('#header_value_0').fill('prod');
    await page.getByRole('button', { name: 'Add header' }).click();
    await page.locator('#header_name_2').fill('X-Frame-Options');
    await page.locator('#header_value_2').fill('DENY');
    await page.locator('#header_direction_2').selectOption('response');
    await page.getByLabel('Upstream 1 host', { exact: true }).fill('10.0.0.6');
    await page.locator('#upstream_port_0').fill('8081');
    await page.getByLabel('Policy', { exact: true }).selectOption('least_conn');
    await page.getByLabel('Check the upstreams and skip the ones that fail').check();
    await page.getByLabel('Path', { exact: true }).fill('no-slash');
    await page.getByRole('button', { name: 'Create route' }).click();
    // The API's own error, next to the field; nothing was stored and the filled rows come back (blank ones
    // dropped, so the second header is row 2 now, as the API numbers it).
    expect(await page.locator('#health_check_path-error').innerText()).toBe('must start with /');
    expect(await page.locator('#header_value_1').inputValue()).toBe('DENY');
    await page.getByLabel('Path', { exact: true }).fill('/healthz');
    await page.getByLabel('Every (seconds)', { exact: true }).fill('10');
    await page.getByRole('button', { name: 'Create route' }).click();
    await expect.poll(() => page.locator('.flash').innerText()).toContain('Route created');
    const id = Number(new URL(page.url()).pathname.split('/')[2]);
    const stored = (await stack.request('GET', `/api/v1/routes/${id}`)).body;
    expect(stored).toMatchObject({
      custom_headers: [
        { name: 'X-Env', value: 'prod', direction: 'request' },
        { name: 'X-Frame-Options', value: 'DENY', direction: 'response' },
      ],
      upstreams: [{ host: '10.0.0.6', port: 8081 }],
      lb_policy: 'least_conn',
      health_check: { path: '/healthz', interval_seconds: 10, timeout_seconds: 5 },
    });
    await page.reload();
    expect(await page.locator('#header_name_1').inputValue()).toBe('X-Frame-Options');
    expect(await page.locator('#header_direction_1').inputValue()).toBe('response');
    expect(await page.locator('#upstream_host_0').inputValue()).toBe('10.0.0.6');
    expect(await page.getByLabel('Policy', { exact: true }).inputValue()).toBe('least_conn');
    expect(await page.getByLabel('Every (seconds)', { exact: true }).inputValue()).toBe('10');
    // Saving the form unchanged keeps every value; removing a header row removes that header.
    await page
      .locator('.header-row', { has: page.locator('#header_name_0') })
      .getByRole('button')
      .click();
    await page.getByRole('button', { name: 'Save route' }).click();
    await expect.poll(() => page.locator('.flash').innerText()).toContain('Route saved');
    const saved = (await stack.request('GET', `/api/v1/routes/${id}`)).body;
    expect(saved.custom_headers).toEqual([{ name: 'X-Frame-Options', value: 'DENY', direction: 'response' }]);
    expect(saved.upstreams).toEqual(stored.upstreams);
    expect(saved.health_check).toEqual(stored.health_check);
    await screenshot(page, 'route-backend-panels');
  });

  it('copy buttons put the token, the agent command and the peer config on the clipboard', async () => {
    const clipboard = () => page.evaluate(() => navigator.clipboard.readText());
    await page.goto('/tokens');
    await page.getByLabel('Name', { exact: true }).fill('copy me');
    await page.getByRole('button', { name: 'Create token' }).click();
    const token = (await page.locator('#new-token').innerText()).trim();
    await page.getByRole('button', { name: 'Copy token' }).click();
    await expect.poll(clipboard).toBe(token);
    expect(await page.getByRole('button', { name: 'Copied' }).count()).toBe(1);

    await page.goto(`/gateways/${ids.gateway}/rotate`);
    await page.getByRole('button', { name: 'Rotate token' }).click();
    const command = (await page.locator('#agent-command').innerText()).trim();
    expect(command).toMatch(/^gatehouse gateway --server \S+ --token gtw_/);
    await page.getByRole('button', { name: 'Copy command' }).click();
    await expect.poll(clipboard).toBe(command);
    // No public domain and a loopback listener: the page says the URL works only here, and what to set.
    expect(await page.locator('#agent-url-note').innerText()).toContain('only on this machine');

    await page.goto(`/peers/${ids.peer}`);
    await page.getByText('Show the config as text').click();
    await page.getByRole('button', { name: 'Copy config' }).click();
    const file = await (await page.request.get(`/peers/${ids.peer}/config`)).text();
    await expect.poll(clipboard).toBe(file.trim());
    expect(file).toContain('[Interface]');
  });

  it('without JavaScript the copy buttons stay hidden and the text is there to select', async () => {
    const noJs = await newContext(browser, stack.server.url, { javaScriptEnabled: false });
    await noJs.addCookies(await context.cookies());
    const p = await noJs.newPage();
    try {
      await p.goto(`/peers/${ids.peer}`);
      expect(await p.locator('#peer-config').textContent()).toContain('[Interface]');
      expect(await p.getByRole('button', { name: 'Copy config' }).count()).toBe(0);
    } finally {
      await noJs.close();
    }
  });

  it('deleting a peer goes through a confirm page that names the routes whose ACL it is in', async () => {
    for (const name of ['wiki', 'grafana']) {
      const r = await stack.request('POST', '/api/v1/routes', {
        type: 'http',
        name,
        domain: `${name}.example.com`,
        target_host: '10.0.0.5',
        target_port: 80,
        acl_enabled: true,
        acl_peers: [ids.peer],
      });
      expect(r.status).toBe(201);
    }
    await page.goto(`/peers/${ids.peer}`);
    await page.getByRole('link', { name: /^Delete alice-laptop/ }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/peers/${ids.peer}/delete`);
    expect(await page.locator('ul.consequences').innerText()).toContain('This peer is in the ACL of 2 routes');
    await checkA11y(page, 'confirm delete peer');
    await page.getByRole('link', { name: 'Cancel' }).click();
    expect((await stack.request('GET', `/api/v1/peers/${ids.peer}`)).status).toBe(200);
    await page.goto(`/peers/${ids.peer}/delete`);
    await page.getByRole('button', { name: /^Delete alice-laptop/ }).click();
    await expect.poll(() => page.locator('.flash').innerText()).toContain('Peer deleted');
    expect((await stack.request('GET', `/api/v1/peers/${ids.peer}`)).status).toBe(404);
  });
});
