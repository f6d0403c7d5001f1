// Item 3 of issue 13: every address a route may dial goes through one judge (packages/protocol/src/target-address.ts).
// Real: the Hono app, route service and libSQL temp database (app.request); the judge itself as a pure function.
import { judgeTargetHost } from '@gatehouse/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../helpers/env.ts';

let env: Awaited<ReturnType<typeof testApp>>;
let writer: string;
beforeAll(async () => {
  env = await testApp();
  writer = await env.tokenFor('write');
});
afterAll(() => env.cleanup());

let n = 0;
async function post(body: Record<string, unknown>) {
  const res = await env.call('POST', '/api/v1/routes', {
    token: writer,
    body: { domain: `ssrf${n++}.example.com`, target_kind: 'direct', target_port: 80, ...body },
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}
const fields = (body: Record<string, any>) => (body.error?.fields ?? []).map((f: { field: string }) => f.field);

/** Spellings of the metadata service (and friends) that must never become a target. */
const HOSTILE = [
  '169.254.169.254',
  '::ffff:a9fe:a9fe',
  '::FFFF:A9FE:A9FE',
  '::ffff:169.254.169.254',
  '0:0:0:0:0:ffff:a9fe:a9fe',
  '0000:0000:0000:0000:0000:ffff:169.254.169.254',
  '::ffff:0:a9fe:a9fe',
  '::169.254.169.254',
  '64:ff9b::a9fe:a9fe',
  '64:ff9b::169.254.169.254',
  '2002:a9fe:a9fe::1',
  '[::ffff:169.254.169.254]',
  '[169.254.169.254]',
  'fe80::1%eth0',
  '0251.0376.0251.0376',
  '0xa9.0xfe.0xa9.0xfe',
  '0xa9fea9fe',
  '2852039166',
  '169.254.43518',
  '169.16689662',
  '100.100.100.200',
  'fd00:ec2::254',
  'fe80::a9fe:a9fe',
  'metadata.google.internal',
  'METADATA.google.internal.',
  'metadata',
  'instance-data',
  '0.0.0.0',
  '0',
  '::',
  '0:0:0:0:0:0:0:0',
  '224.0.0.1',
  'ff02::1',
  '255.255.255.255',
];
const ALLOWED: [string, string][] = [
  ['10.0.0.5', '10.0.0.5'],
  ['::ffff:10.0.0.5', '10.0.0.5'],
  ['0:0:0:0:0:ffff:0a00:0005', '10.0.0.5'],
  ['192.168.1.10', '192.168.1.10'],
  ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
  ['127.0.0.1', '127.0.0.1'],
  ['::1', '::1'],
  ['App.Lan.', 'app.lan'],
  ['localhost', 'localhost'],
];

describe('the target judge', () => {
  it.each(HOSTILE)('refuses %s', (host) => {
    expect(judgeTargetHost(host).problem).toBeTruthy();
  });
  it.each(ALLOWED)('accepts %s as %s', (host, normal) => {
    const judged = judgeTargetHost(host);
    expect(judged.problem).toBeUndefined();
    expect(judged.host).toBe(normal);
  });

  it('judges every IPv6 spelling of a link-local, metadata or unspecified IPv4 address as that address', () => {
    const hex = (n: number) => n.toString(16);
    const forbiddenV4 = fc.oneof(
      fc.tuple(fc.constant(169), fc.constant(254), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(0), fc.nat(255), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.integer({ min: 224, max: 255 }), fc.nat(255), fc.nat(255), fc.nat(255)),
    );
    const spelling = fc.constantFrom(
      'mapped-hex',
      'mapped-dotted',
      'expanded',
      'padded',
      'translated',
      'compat',
      'nat64',
      '6to4',
    );
    fc.assert(
      fc.property(forbiddenV4, spelling, fc.boolean(), ([a, b, c, d], form, upper) => {
        const hi = hex((a << 8) | b);
        const lo = hex((c << 8) | d);
        const dotted = `${a}.${b}.${c}.${d}`;
        const text = {
          'mapped-hex': `::ffff:${hi}:${lo}`,
          'mapped-dotted': `::ffff:${dotted}`,
          expanded: `0:0:0:0:0:ffff:${hi}:${lo}`,
          padded: `0000:0000:0000:0000:0000:ffff:${hi.padStart(4, '0')}:${lo.padStart(4, '0')}`,
          translated: `::ffff:0:${dotted}`,
          compat: `::${dotted}`,
          nat64: `64:ff9b::${hi}:${lo}`,
          '6to4': `2002:${hi}:${lo}::1`,
        }[form];
        const input = upper ? text.toUpperCase() : text;
        expect(judgeTargetHost(input).problem, input).toBeTruthy();
      }),
      { numRuns: 500 },
    );
  });

  it('never accepts a numeric host that is not a canonical dotted quad, and never throws', () => {
    const part = fc.oneof(
      fc.nat(0xffffffff).map(String),
      fc.nat(0xffff).map((x) => `0x${x.toString(16)}`),
      fc.nat(0o777).map((x) => `0${x.toString(8)}`),
      fc.nat(255).map(String),
    );
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), (parts) => {
        const text = parts.join('.');
        const judged = judgeTargetHost(text);
        const canonical = parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
        if (!canonical) expect(judged.kind, text).toBe('invalid');
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const judged = judgeTargetHost(text);
        if (!judged.problem) expect(judged.host).not.toMatch(/[[\]%\s]/);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('POST /api/v1/routes with hostile targets', () => {
  it('answers 422 naming target_host for an IPv4-mapped metadata address (201 before the fix)', async () => {
    for (const host of ['::ffff:a9fe:a9fe', '[::ffff:169.254.169.254]', '0251.0376.0251.0376', '2852039166']) {
      const res = await post({ target_host: host });
      expect(res.status, `${host}: ${JSON.stringify(res.body)}`).toBe(422);
      expect(fields(res.body)).toEqual(['target_host']);
    }
  });

  it('judges every upstream the same way', async () => {
    const res = await post({
      target_host: '10.0.0.5',
      upstreams: [
        { host: '10.0.0.6', port: 80 },
        { host: '::ffff:a9fe:a9fe', port: 80 },
      ],
    });
    expect(res.status).toBe(422);
    expect(fields(res.body)).toEqual(['upstreams.1.host']);
  });

  it('judges a gateway LAN host the same way', async () => {
    const res = await post({
      target_kind: 'gateway',
      gateway_id: 1,
      target_lan_host: '64:ff9b::a9fe:a9fe',
      target_lan_port: 80,
      target_port: null,
    });
    expect(res.status).toBe(422);
    expect(fields(res.body)).toContain('target_lan_host');
  });

  it('refuses the control plane and Caddy admin ports on every loopback spelling, and keeps other loopback ports', async () => {
    const cp = env.config.listen.port;
    for (const [host, port] of [
      ['::ffff:127.0.0.1', cp],
      ['127.0.0.2', 2019],
      ['0:0:0:0:0:0:0:1', cp],
    ] as const) {
      const res = await post({ target_host: host, target_port: port });
      expect(res.status, host).toBe(422);
      expect(fields(res.body)).toEqual(['target_port']);
    }
    const ok = await post({ target_host: '::ffff:127.0.0.1', target_port: 8080 });
    expect(ok.status).toBe(201);
    expect(ok.body.target_host).toBe('127.0.0.1');
  });

  it('stores the normal form of a target', async () => {
    const res = await post({
      target_host: '0:0:0:0:0:FFFF:0A00:0005',
      upstreams: [{ host: 'Backend.LAN.', port: 81 }],
    });
    expect(res.status).toBe(201);
    expect(res.body.target_host).toBe('10.0.0.5');
    expect(res.body.upstreams).toEqual([{ host: 'backend.lan', port: 81 }]);
  });
});
