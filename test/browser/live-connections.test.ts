/// <reference lib="dom" />
// Issue 19 in a real browser: a pooled L4 route's page shows each gateway's share of the traffic and the open
// connections with the gateway each goes through; a connection opened after the page loaded appears by itself
// (htmx polling); "End" goes through a confirm page and closes the connection. Real: the whole control plane
// in-process (startStack) with the real Caddy binary, two gateway agents (test/helpers/loopback-pool.ts),
// Debian's Chromium driven by playwright-core, axe-core. Simulated: WireGuard (tunnel addresses are loopback ones).
import net from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LoopbackGateway, loopbackGateways, pooledRoute } from '../helpers/loopback-pool.ts';
import { echoServer, freePort, tcpRoundTrip } from '../helpers/net.ts';
import { type Stack, startStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait.ts';
import { checkA11y, hasChromium, launchBrowser, newContext, screenshot } from './support.ts';

const PASSWORD = 'correct horse battery staple';
let stack: Stack;
let pool: Awaited<ReturnType<typeof loopbackGateways>>;
let gateways: LoopbackGateway[];
let browser: Browser;
let context: BrowserContext;
let page: Page;
let echo: Awaited<ReturnType<typeof echoServer>>;
let routeId: number;
let port: number;
const sockets: net.Socket[] = [];

/** A TCP connection through the route, held open after one round trip; resolves with it and its close. */
async function holdConnection(): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write('hold');
  await new Promise<void>((resolve) => socket.once('data', () => resolve()));
  return { socket, closed };
}

describe.skipIf(!hasChromium)('live connections on the route page in Chromium', () => {
  beforeAll(async () => {
    stack = await startStack({ GATEHOUSE_WG_ADDRESS: '127.0.0.1/24' });
    pool = await loopbackGateways(stack, ['site-a', 'site-b']);
    gateways = pool.gateways;
    echo = await echoServer('lan:');
    port = await freePort();
    const res = await stack.request('POST', '/api/v1/routes', {
      ...pooledRoute(gateways, echo.port, { type: 'l4', l4_listen_port: port }),
      name: 'pooled-ssh',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    routeId = res.body.id;
    await waitFor(
      'both gateways forwarding',
      async () => {
        await tcpRoundTrip(port, 'warm', 1000).catch(() => '');
        const t = await stack.request('GET', `/api/v1/routes/${routeId}/traffic`);
        const used = (t.body.data?.members ?? []).filter((m: { bytes_out: number }) => m.bytes_out > 0);
        return used.length === 2 ? true : undefined;
      },
      20_000,
      200,
    );
    browser = await launchBrowser();
    context = await newContext(browser, stack.server.url);
    page = await context.newPage();
    await page.goto('/login');
    await page.getByLabel('Username', { exact: true }).fill('admin');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  }, 90_000);
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await browser?.close();
    await echo?.close();
    await pool?.stop();
    await stack?.stop();
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail' && page && !page.isClosed())
      await screenshot(page, `FAILED-live-${task.name}`).catch(() => {});
  });

  it("shows each gateway's share and an open connection with the gateway it goes through", async () => {
    const held = await holdConnection();
    await page.goto(`/routes/${routeId}`);
    const gatewaysCard = page.locator('section', { has: page.getByRole('heading', { name: 'Gateways' }) });
    for (const g of gateways) {
      const row = gatewaysCard.locator('tr', { has: page.getByRole('link', { name: g.name }) });
      await expect(row.locator('[data-share="connections"]').textContent()).resolves.toMatch(/^\d+(\.\d)? % \(\d+\)$/);
    }
    const table = page.getByRole('table', { name: 'Open connections' });
    const rows = table.locator('tbody tr');
    expect(await rows.count()).toBe(1);
    const text = (await rows.first().textContent()) ?? '';
    expect(text).toContain('127.0.0.1');
    expect(
      gateways.some((g) => text.includes(g.name)),
      text,
    ).toBe(true);
    expect(await checkA11y(page, 'route page with live connections')).toBeDefined();
    await screenshot(page, 'route page live connections');

    // A connection opened after the page loaded shows up through the panel's polling, no reload.
    const second = await holdConnection();
    await waitFor(
      'the poll to list the second connection',
      async () => ((await rows.count()) === 2 ? true : undefined),
      12_000,
      250,
    );
    second.socket.destroy();
    await second.closed;
    await waitFor('the poll to drop it', async () => ((await rows.count()) === 1 ? true : undefined), 12_000, 250);

    // End: a confirm page naming the client and gateway, then the connection is closed.
    await rows.first().getByRole('link', { name: 'End' }).click();
    await page.waitForURL(/\/connections\/\d+\/end$/);
    const consequences = (await page.locator('.consequences').textContent()) ?? '';
    expect(consequences).toContain('127.0.0.1');
    expect(
      gateways.some((g) => consequences.includes(g.name)),
      consequences,
    ).toBe(true);
    await page.getByRole('button', { name: 'End connection' }).click();
    await page.waitForURL(new RegExp(`/routes/${routeId}\\?done=connection-ended$`));
    await expect(page.getByText('Connection ended.')).toBeTruthy();
    await held.closed;
    expect(await page.getByText('No open connections.').isVisible()).toBe(true);
    const audit = await stack.request('GET', '/api/v1/audit?action=route.connection.close');
    expect(JSON.stringify(audit.body)).toContain('route.connection.close');
  }, 60_000);
});
