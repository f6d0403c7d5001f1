// Issue 14: a route's refusals (403, 429) and a dead upstream (502) answer with a small Gatehouse page (HTML for
// a browser, plain text otherwise) with the request id, and no internal detail.
// Real: the control plane in-process, the real Caddy binary (gatehouse module, static config with its
// handle_errors route), TLS from Caddy's internal CA, clients on loopback. Simulated: nothing; the dead
// upstream is a free loopback port nobody listens on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/net.ts';
import { httpsGet, type Stack, startStack } from '../helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const BROWSER = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

async function route(domain: string, extra: Record<string, unknown>) {
  // A port nobody listens on: the routes that refuse never reach it, the 502 route needs it dead.
  const res = await stack.request('POST', '/api/v1/routes', {
    domain,
    target_host: '127.0.0.1',
    target_port: await freePort(),
    ...extra,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.data_plane).toBe('applied');
}

function expectPage(res: Awaited<ReturnType<typeof httpsGet>>, status: number, title: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.body).toContain('<p class="brand">Gatehouse</p>');
  expect(res.body).toContain(`${status} · ${title}`);
  expect(res.body).toMatch(/Request ID: <code>[\w-]{6,}<\/code>/);
  // Nothing internal: not the client, the upstream address or the rules.
  expect(res.body).not.toMatch(/127\.0\.0\.1|10\.0\.0\.0|dial|refused|whitelist/);
}

describe('branded error pages through the real Caddy', () => {
  it('403: a denied client gets the Access denied page, or plain text without text/html', async () => {
    await route('denied.gatehouse.test', {
      ip_filter_enabled: true,
      ip_filter_mode: 'whitelist',
      ip_filter_rules: [{ type: 'cidr', value: '10.0.0.0/8' }],
    });
    expectPage(await httpsGet(stack, 'denied.gatehouse.test', '/', BROWSER), 403, 'Access denied');
    const plain = await httpsGet(stack, 'denied.gatehouse.test', '/', { accept: 'application/json' });
    expect(plain.status).toBe(403);
    expect(plain.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(plain.body).toMatch(/^403 Access denied\n.*\nRequest ID: \S+\n/);
  });

  it('429: over the rate limit gets the page with the wait and Retry-After', async () => {
    await route('limited.gatehouse.test', {
      rate_limit_enabled: true,
      rate_limit_requests: 1,
      rate_limit_window: '1h',
    });
    await httpsGet(stack, 'limited.gatehouse.test', '/', BROWSER);
    const over = await httpsGet(stack, 'limited.gatehouse.test', '/', BROWSER);
    expectPage(over, 429, 'Too many requests');
    const retry = Number(over.headers['retry-after']);
    expect(retry).toBeGreaterThan(0);
    expect(over.body).toContain(`Please wait ${retry} seconds`);
  });

  it('502: an upstream that does not answer gets the Service unreachable page with the error id', async () => {
    await route('dead.gatehouse.test', {});
    expectPage(await httpsGet(stack, 'dead.gatehouse.test', '/', BROWSER), 502, 'Service unreachable');
    const plain = await httpsGet(stack, 'dead.gatehouse.test', '/');
    expect(plain.status).toBe(502);
    expect(plain.body).toMatch(/^502 Service unreachable\n/);
  });
});
