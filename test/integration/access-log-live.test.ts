// Real: the control plane in-process with the real Caddy binary (its file writer writes the access log),
// the follower storing it in the libSQL file, the REST API, TLS and TCP clients bound to distinct loopback
// addresses. Simulated: the "peer" is a loopback address (the VPN subnet is set to 127.0.0.0/24, WireGuard off).
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, tcpServer } from '../helpers/net.ts';
import { type Stack, startStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait.ts';

const STRANGER = '127.0.0.20';
let stack: Stack;
let laptop: { id: number; address: string };
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  stack = await startStack({ GATEHOUSE_WG_ADDRESS: '127.0.0.1/24' });
  const res = await stack.request('POST', '/api/v1/peers', { name: 'laptop' });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  laptop = res.body as { id: number; address: string };
});
afterAll(async () => {
  for (const close of closers) await close().catch(() => {});
  await stack?.stop();
});

/** An upstream that answers HTTP with a fixed body, and raw TCP with an echo of the first chunk. */
async function upstream() {
  const server = await tcpServer((socket) => {
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString();
      if (buf.startsWith('RAW')) return void socket.end(`echo:${buf}`);
      if (buf.includes('\r\n\r\n'))
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world');
    });
  });
  closers.push(server.close);
  return server.port;
}

function getFrom(source: string, host: string) {
  return new Promise<number>((resolve, reject) => {
    const tcp = net.connect({ host: '127.0.0.1', port: stack.httpsPort, localAddress: source });
    const socket = tls.connect({ socket: tcp, servername: host, ca: stack.caRoot() }, () =>
      socket.write(`GET /some/path?q=1 HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
    );
    let raw = '';
    socket.on('data', (d) => (raw += d.toString()));
    socket.on('error', reject);
    socket.on('end', () => resolve(Number(raw.split(' ')[1])));
  });
}

function l4From(source: string, port: number) {
  return new Promise<string>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: source }, () => socket.write('RAW hello'));
    let got = '';
    const timer = setTimeout(() => socket.destroy(), 3000);
    socket.on('data', (d) => (got += d.toString()));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
  });
}

type Entry = Record<string, any>;
async function entries(query: string): Promise<Entry[]> {
  const res = await stack.request('GET', `/api/v1/access-log?${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data as Entry[];
}

let httpRouteId: number;

describe('access log, live', () => {
  it('stores a denied request with its check and rule, and an allowed one with status, bytes and peer', async () => {
    const port = await upstream();
    const res = await stack.request('POST', '/api/v1/routes', {
      domain: 'log.gatehouse.test',
      target_host: '127.0.0.1',
      target_port: port,
      acl_enabled: true,
      acl_peers: [laptop.id],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    httpRouteId = res.body.id;
    expect(await getFrom(laptop.address, 'log.gatehouse.test')).toBe(200);
    expect(await getFrom(STRANGER, 'log.gatehouse.test')).toBe(403);

    const stored = await waitFor(
      'two entries',
      async () => {
        const e = await entries(`route=${httpRouteId}`);
        return e.length >= 2 ? e : undefined;
      },
      15_000,
    );
    const denied = stored.find((e) => e.decision === 'deny')!;
    const allowed = stored.find((e) => e.decision === 'allow')!;
    expect(denied).toMatchObject({ kind: 'http', client: STRANGER, status: 403, route_id: httpRouteId });
    // The deciding check and its rule text, whatever the policy engine calls them.
    expect(denied.check).toBeTruthy();
    expect(denied.rule).toBeTruthy();
    expect(allowed).toMatchObject({
      kind: 'http',
      client: laptop.address,
      peer_id: laptop.id,
      status: 200,
      bytes_out: 11,
      method: 'GET',
      path: '/some/path',
      host: 'log.gatehouse.test',
    });
    expect(allowed.duration_ms).toBeGreaterThan(0);
    expect(Date.now() - Date.parse(allowed.at)).toBeLessThan(60_000);

    // the filters
    expect((await entries(`route=${httpRouteId}&decision=deny`)).map((e) => e.client)).toEqual([STRANGER]);
    expect((await entries(`address=${laptop.address}`)).every((e) => e.client === laptop.address)).toBe(true);
    const byRule = await entries(`rule=${encodeURIComponent(denied.rule)}&check=${denied.check}`);
    expect(byRule.map((e) => e.id)).toEqual([denied.id]);
    expect(
      await entries(`route=${httpRouteId}&from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`),
    ).toEqual([]);
    // pagination: one at a time, newest first, then the older one
    const first = await stack.request('GET', `/api/v1/access-log?route=${httpRouteId}&limit=1`);
    expect(first.body.data).toHaveLength(1);
    const second = await entries(`route=${httpRouteId}&limit=1&before=${first.body.next_before}`);
    expect(second[0]!.id).toBeLessThan(first.body.data[0].id);
  });

  it('stores an L4 connection with the bytes each way', async () => {
    const port = await freePort();
    const res = await stack.request('POST', '/api/v1/routes', {
      type: 'l4',
      l4_listen_port: port,
      target_host: '127.0.0.1',
      target_port: await upstream(),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(await l4From(laptop.address, port)).toBe('echo:RAW hello');
    const [entry] = await waitFor(
      'the l4 entry',
      async () => {
        const e = await entries(`route=${res.body.id}`);
        return e.length > 0 ? e : undefined;
      },
      15_000,
    );
    expect(entry).toMatchObject({ kind: 'tcp', decision: 'allow', client: laptop.address, status: null });
    expect(entry!.bytes_in).toBe('RAW hello'.length);
    expect(entry!.bytes_out).toBe('echo:RAW hello'.length);
  });

  it('exports CSV and JSON with the same filters', async () => {
    const csv = await fetch(`${stack.server.url}/api/v1/access-log/export?format=csv&route=${httpRouteId}`, {
      headers: { authorization: `Bearer ${stack.token}` },
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="access-log-.*\.csv"/);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toMatch(/^id,at,route_id,kind,client/);
    expect(lines).toHaveLength(3);
    const json = await fetch(
      `${stack.server.url}/api/v1/access-log/export?format=json&route=${httpRouteId}&decision=deny`,
      {
        headers: { authorization: `Bearer ${stack.token}` },
      },
    );
    const rows = JSON.parse(await json.text()) as Entry[];
    expect(rows.map((r) => r.client)).toEqual([STRANGER]);
  });

  it('tails new entries over SSE with the filters applied', async () => {
    const ac = new AbortController();
    const res = await fetch(`${stack.server.url}/api/v1/access-log/stream?route=${httpRouteId}&decision=deny`, {
      headers: { authorization: `Bearer ${stack.token}` },
      signal: ac.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    await reader.read(); // the opening comment: subscribed
    expect(await getFrom(laptop.address, 'log.gatehouse.test')).toBe(200); // filtered out
    expect(await getFrom('127.0.0.21', 'log.gatehouse.test')).toBe(403);
    const deadline = Date.now() + 10_000;
    while (!text.includes('event: entry') && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    ac.abort();
    const data = text.split('\n').find((l) => l.startsWith('data: '))!;
    const entry = JSON.parse(data.slice(6)) as Entry;
    expect(entry).toMatchObject({ client: '127.0.0.21', decision: 'deny', route_id: httpRouteId });
    expect(entry.id).toBeGreaterThan(0);
    expect(text).not.toContain(`"client":"${laptop.address}"`);
  });
});

describe('access log query parameters, hostile values', () => {
  const bad: [string, string][] = [
    ['route=-1', 'route'],
    ['route=abc', 'route'],
    ['route=1e99', 'route'],
    ['route=1%20OR%201=1', 'route'],
    ['address=1.2.3.4%27%3B%20DROP%20TABLE%20access_log', 'address'],
    [`address=${'9'.repeat(100)}`, 'address'],
    ['address=10.0.0.0/8', 'address'],
    ['decision=maybe', 'decision'],
    ['check=%27%20OR%20%271', 'check'],
    [`check=${'a'.repeat(33)}`, 'check'],
    [`rule=${'x'.repeat(501)}`, 'rule'],
    ['rule=a%00b', 'rule'],
    ['from=yesterday', 'from'],
    ['from=99999999999999999999', 'from'],
    ['to=1800-01-01T00:00:00Z', 'to'],
    ['from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'to'],
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['before=-5', 'before'],
    ['before=1.5', 'before'],
    ['sort=id', ''],
  ];
  it.each(bad)('GET /api/v1/access-log?%s → 422 naming the field', async (query, field) => {
    const res = await stack.request('GET', `/api/v1/access-log?${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.body.error.code).toBe('validation_failed');
    if (field) expect(JSON.stringify(res.body.error.fields)).toContain(field);
  });
  it('the export and the live tail refuse the same values, and bad formats and limits', async () => {
    for (const q of ['format=xml', 'limit=100001', 'route=abc', 'decision=maybe']) {
      expect((await stack.request('GET', `/api/v1/access-log/export?${q}`)).status, q).toBe(422);
    }
    for (const q of ['route=abc', 'limit=5', 'address=nope']) {
      expect((await stack.request('GET', `/api/v1/access-log/stream?${q}`)).status, q).toBe(422);
    }
  });
  it('a CSV field a spreadsheet would run as a formula is quoted as text', async () => {
    const { csvField } = await import('../../src/services/access-log/query.ts');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('/plain')).toBe('/plain');
    expect(csvField('a,b')).toBe('"a,b"');
  });
});
