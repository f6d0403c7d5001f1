/// <reference lib="dom" />
// Issue 16, "Done when": a browser logs in to the dashboard through the test's OpenID provider and gets the role
// its group maps to; with the provider stopped the login page says so and the open session keeps working.
// Real: the control plane's app served on loopback by @hono/node-server, the real `oidc-provider` in its own
// process on loopback (test/helpers/oidc-provider.ts), Debian's Chromium driven by playwright-core (redirects,
// SameSite cookies and the dashboard's CSP as in production). Simulated: no Caddy (the dashboard login does not
// pass through it), the provider's login form is the test provider's own page (any known account name).
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapAdmin } from '../../src/services/admin/bootstrap.ts';
import { forgetProviderConfigs } from '../../src/services/identity-providers/configs.ts';
import { createIdentityProvider } from '../../src/services/identity-providers/save.ts';
import { systemContext, testApp } from '../helpers/env.ts';
import {
  callbackCandidates,
  startTestProvider,
  type TestProvider,
  testProviderInput,
} from '../helpers/oidc-provider.ts';
import { checkA11y, hasChromium, launchBrowser, screenshot } from './support.ts';

const WAIT_MS = 15_000;
let env: Awaited<ReturnType<typeof testApp>>;
let server: ServerType;
let origin = '';
let provider: TestProvider;
let browser: Browser;
let context: BrowserContext;
let page: Page;

/** A context that may reach the dashboard and the provider, nothing else. */
async function loopbackContext(): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const allowed = [origin, new URL(provider.issuer).origin];
  await ctx.route('**/*', (route) =>
    allowed.some((o) => route.request().url().startsWith(o)) ? route.continue() : route.abort(),
  );
  return ctx;
}

describe.skipIf(!hasChromium)('dashboard login through OpenID Connect (Chromium)', () => {
  beforeAll(async () => {
    env = await testApp();
    await bootstrapAdmin({ ctx: systemContext(env) });
    await new Promise<void>((resolve) => {
      server = serve({ fetch: env.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve());
    });
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    provider = await startTestProvider({
      redirectUris: callbackCandidates(origin),
      accounts: { alice: { email: 'alice@example.test', name: 'Alice', groups: ['staff', 'gatehouse-ops'] } },
    });
    await createIdentityProvider({
      ctx: systemContext(env),
      origin,
      input: testProviderInput(provider, {
        group_roles: [{ group: 'gatehouse-ops', role: 'operator' }],
        for_dashboard: true,
        for_routes: false,
      }),
    });
    browser = await launchBrowser();
    context = await loopbackContext();
    page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await provider?.stop();
    await new Promise((resolve) => server?.close(resolve));
    env?.cleanup();
  });

  it('logs in through the provider and gets the role its group maps to', async () => {
    await page.goto(`${origin}/login`);
    await checkA11y(page, 'login page with a provider');
    await page.getByRole('link', { name: 'Log in with Test IdP' }).click();
    await page.waitForURL((url) => url.href.startsWith(provider.issuer));
    await page.getByLabel('Login').fill('alice');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${origin}/`);
    await screenshot(page, 'oidc login done');
    const me = await page.evaluate(async () => (await fetch('/api/v1/me')).json());
    expect(me).toMatchObject({ actor: { username: 'alice', role: 'operator' } });
    // An operator: the users page (admins) is refused.
    const users = await page.goto(`${origin}/users`);
    expect(users?.status()).toBe(403);
  });

  it('with the provider stopped: the login page says so, and the open session keeps working', async () => {
    await provider.stop();
    forgetProviderConfigs();
    const other = await loopbackContext();
    const fresh = await other.newPage();
    await fresh.goto(`${origin}/login`);
    await fresh.getByRole('link', { name: 'Log in with Test IdP' }).click();
    await expect
      .poll(() => fresh.textContent('body'), { timeout: WAIT_MS })
      .toContain('Test IdP is not reachable right now');
    await screenshot(fresh, 'oidc provider down');
    await other.close();
    const back = await page.goto(`${origin}/peers`);
    expect(back?.status()).toBe(200);
    expect(page.url()).toBe(`${origin}/peers`);
  });
});
