/// <reference lib="dom" />
// Issue 16 (administrators): passkeys in Chromium. An admin adds a passkey on the account page; the next
// password login asks for it as the second step; the login page also logs in with it alone (passwordless).
// Real: the control plane's Hono app on a loopback port (@hono/node-server), Debian's Chromium driven by
// playwright-core with its CSP and cookies, @simplewebauthn on both sides, a temp-file libSQL database.
// Simulated: the authenticator — Chromium's DevTools virtual authenticator (WebAuthn.addVirtualAuthenticator),
// a resident-key CTAP2 device that verifies the user without a prompt.
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { adminPasskeys, auditLog } from '../../src/db/schema/index.ts';
import { bootstrapAdmin } from '../../src/services/admin/bootstrap.ts';
import { silentLogger, systemContext, testDb } from '../helpers/env.ts';
import { hasChromium, launchBrowser, newContext, screenshot } from './support.ts';

const PASSWORD = 'correct horse battery';
let db: Awaited<ReturnType<typeof testDb>>;
let server: ServerType;
let base: string;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!hasChromium) return;
  db = await testDb();
  await bootstrapAdmin({ ctx: systemContext(db) });
  const app = createApp({
    db: db.db,
    config: db.config,
    logger: silentLogger,
    now: () => new Date(),
    health: async () => ({
      status: 'ok',
      db: { state: 'ok' },
      caddy: { state: 'disabled' },
      wireguard: { state: 'off' },
    }),
  });
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  // `localhost`, not 127.0.0.1: a passkey's relying party id must be a domain name (and localhost is a secure context).
  base = `http://localhost:${(server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
  const context = await newContext(browser, base);
  page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  db?.cleanup();
});

async function passwordStep(p: Page) {
  await p.goto('/login');
  await p.getByLabel('Username', { exact: true }).fill('admin');
  await p.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await p.getByRole('button', { name: 'Log in', exact: true }).click();
}

async function logOut(p: Page) {
  await p.getByRole('button', { name: 'Log out' }).click();
  await p.waitForURL((url) => url.pathname === '/login');
}

describe.skipIf(!hasChromium)('passkeys in Chromium', () => {
  it('adds a passkey on the account page', async () => {
    await passwordStep(page);
    await page.waitForURL((url) => !url.pathname.startsWith('/login'));
    await page.goto('/account');
    await page.getByRole('link', { name: 'Manage passkeys' }).click();
    await page.getByLabel('Name of the new passkey').fill('Virtual key');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.waitForURL((url) => url.searchParams.get('done') === 'passkey-added', { timeout: 15_000 });
    await expect.poll(() => page.getByText('Virtual key').count()).toBe(1);
    await screenshot(page, 'passkeys: added');
    const stored = await db.db.select().from(adminPasskeys);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.name).toBe('Virtual key');
  });

  it('asks for the passkey after the password, and logs in with it', async () => {
    await logOut(page);
    await passwordStep(page);
    await expect.poll(() => page.getByRole('heading', { name: 'Confirm with your passkey' }).count()).toBe(1);
    // The password alone is not a session.
    expect((await page.request.get(`${base}/api/v1/me`)).status()).toBe(401);
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.waitForURL((url) => url.pathname === '/', { timeout: 15_000 });
    expect((await page.request.get(`${base}/api/v1/me`)).status()).toBe(200);
    const logins = await db.db.select().from(auditLog).where(eq(auditLog.action, 'auth.login'));
    expect(logins.at(-1)!.after).toEqual({ second_factor: 'passkey' });
  });

  it('logs in without a password (passwordless, user verified)', async () => {
    await logOut(page);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL((url) => url.pathname === '/', { timeout: 15_000 });
    await expect.poll(() => page.getByRole('link', { name: /admin/ }).count()).toBeGreaterThan(0);
    const logins = await db.db.select().from(auditLog).where(eq(auditLog.action, 'auth.login'));
    expect(logins.at(-1)!.after).toEqual({ passwordless: 'passkey' });
    expect(logins.at(-1)!.actorUser).toBe('admin');
  });

  it('refuses a forged assertion without a session', async () => {
    const res = await page.request.post(`${base}/login/passkey`, {
      headers: { 'content-type': 'application/json', 'x-csrf-token': 'x'.repeat(32) },
      data: { response: { id: 'nope', rawId: 'nope', type: 'public-key', response: {} } },
    });
    expect(res.status()).toBe(403);
  });
});
