/// <reference lib="dom" />
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve('test-results/screenshots');
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.log(`browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

/**
 * Debian's Chromium, headless, kept off the network: no background fetches, updates, sync or QUIC. Playwright
 * gives every launch a fresh temporary user-data dir, so no profile state leaks between runs.
 */
export async function launchBrowser(opts: { extraArgs?: string[]; timeout?: number } = {}): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    ...(opts.timeout ? { timeout: opts.timeout } : {}),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
      ...(opts.extraArgs ?? []),
    ],
  });
}

export async function newContext(
  browser: Browser,
  baseURL: string,
  opts: { javaScriptEnabled?: boolean } = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL,
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
    ...opts,
  });
  // Only the control plane under test: any other request is a bug (a CDN, a font, a tracker).
  const origin = new URL(baseURL).origin;
  await context.route('**/*', (route) => (route.request().url().startsWith(origin) ? route.continue() : route.abort()));
  return context;
}

export function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(SCREENSHOTS, `${slug(name)}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/**
 * axe-core in the page (evaluated over the DevTools protocol, so the page's CSP stays as strict as in
 * production); fails on serious and critical violations and returns the rest for the report.
 */
export async function checkA11y(page: Page, label: string): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const violations = (await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: unknown[] }> } }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations;
  })) as AxeViolation[];
  const severe = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const describe = (v: AxeViolation) =>
    `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`;
  expect(severe.map(describe), `axe on ${label}`).toEqual([]);
  return violations;
}

/** No sideways scrolling: the document is no wider than the viewport. */
export async function checkNoOverflow(page: Page, label: string) {
  const { scroll, inner } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    inner: window.innerWidth,
  }));
  expect(scroll, `${label}: page is ${scroll}px wide in a ${inner}px viewport`).toBeLessThanOrEqual(inner);
}
