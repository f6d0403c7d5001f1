// Real: the zod schemas for peer input (as the API uses them) and the allowed-IPs rule. Simulated: nothing.
import { describe, expect, it } from 'vitest';
import { CreatePeerSchema, cidrProblem, PeerListQuerySchema, UpdatePeerSchema } from '../../src/schemas/peers.ts';
import { clientAllowedIps, configAllowedIps } from '../../src/services/peers/rules.ts';
import { Subnet } from '../../src/wireguard/subnet.ts';

const KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';

function fieldsOf(result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) {
  expect(result.success).toBe(false);
  return result.error!.issues.map((i) => [i.path.map(String).join('.'), i.message]);
}

describe('CreatePeerSchema', () => {
  it('fills defaults and normalises tags', () => {
    const parsed = CreatePeerSchema.parse({ name: '  alice-laptop ', tags: ['Staff', 'staff', 'vpn.users'] });
    expect(parsed).toEqual({ name: 'alice-laptop', enabled: true, tags: ['staff', 'vpn.users'], is_gateway: false });
  });

  it('accepts a complete peer', () => {
    const input = {
      name: 'Büro Drucker 2',
      public_key: KEY,
      preshared_key: null,
      address: '10.8.0.9',
      dns: ['1.1.1.1', '2606:4700:4700::1111'],
      allowed_ips: ['192.168.1.0/24', 'fd00::/64'],
      persistent_keepalive: 25,
      enabled: false,
      expires_at: '2030-01-01T00:00:00Z',
      tags: ['printers'],
      is_gateway: true,
    };
    expect(CreatePeerSchema.safeParse(input).success).toBe(true);
  });

  it.each([
    [{ name: '' }, 'name', 'is required'],
    [{ name: 'x'.repeat(65) }, 'name', 'at most 64'],
    [{ name: '-leading' }, 'name', 'must start with a letter or digit'],
    [{ name: 'a\nb' }, 'name', 'may contain'],
    [{ name: 'ok', public_key: 'abc' }, 'public_key', 'base64 of exactly 32 bytes'],
    [{ name: 'ok', public_key: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==' }, 'public_key', '32 bytes'],
    [{ name: 'ok', preshared_key: 'short' }, 'preshared_key', '32 bytes'],
    [{ name: 'ok', address: '10.8.0' }, 'address', 'IPv4'],
    [{ name: 'ok', address: 'fd00::2' }, 'address', 'IPv4'],
    [{ name: 'ok', dns: ['dns.google'] }, 'dns.0', 'must be an IP address'],
    [{ name: 'ok', dns: ['1.1.1.1', '1.0.0.1', '8.8.8.8', '8.8.4.4', '9.9.9.9'] }, 'dns', 'at most 4'],
    [{ name: 'ok', allowed_ips: ['0.0.0.0/0'] }, 'allowed_ips.0', 'set tunnel_mode to "full"'],
    [{ name: 'ok', allowed_ips: ['::/0'] }, 'allowed_ips.0', 'set tunnel_mode to "full"'],
    [{ name: 'ok', tunnel_mode: 'both' }, 'tunnel_mode', 'must be "split" or "full"'],
    [{ name: 'ok', tunnel_mode: 'FULL' }, 'tunnel_mode', 'must be "split" or "full"'],
    [{ name: 'ok', allowed_ips: ['192.168.1.5/24'] }, 'allowed_ips.0', 'did you mean 192.168.1.0/24'],
    [{ name: 'ok', allowed_ips: ['192.168.1.0'] }, 'allowed_ips.0', 'must be a CIDR'],
    [{ name: 'ok', persistent_keepalive: 70000 }, 'persistent_keepalive', 'between 0 and 65535'],
    [{ name: 'ok', expires_at: 'tomorrow' }, 'expires_at', 'ISO-8601'],
    [{ name: 'ok', tags: ['has space'] }, 'tags.0', 'tags are 1–32 characters'],
    [{ name: 'ok', private_key: KEY }, '', 'private_key'],
  ])('rejects %j naming %s', (input, field, message) => {
    const issues = fieldsOf(CreatePeerSchema.safeParse(input));
    expect(issues.some(([f, m]) => f === field && m!.includes(message))).toBe(true);
  });
});

describe('UpdatePeerSchema', () => {
  it('allows a partial body and rejects unknown fields', () => {
    expect(UpdatePeerSchema.parse({ enabled: false })).toEqual({ enabled: false });
    expect(fieldsOf(UpdatePeerSchema.safeParse({ enabled: 'no' }))[0]![0]).toBe('enabled');
    expect(fieldsOf(UpdatePeerSchema.safeParse({ id: 3 }))[0]![1]).toContain('id');
  });
});

describe('PeerListQuerySchema', () => {
  it('parses filters and pagination from query strings', () => {
    expect(PeerListQuerySchema.parse({ enabled: 'false', limit: '10', offset: '20', tag: 'Staff' })).toEqual({
      enabled: false,
      limit: 10,
      offset: 20,
      tag: 'staff',
    });
    expect(PeerListQuerySchema.parse({})).toEqual({ limit: 50, offset: 0 });
    expect(fieldsOf(PeerListQuerySchema.safeParse({ limit: '0' }))[0]![0]).toBe('limit');
    expect(fieldsOf(PeerListQuerySchema.safeParse({ enabled: 'yes' }))[0]![0]).toBe('enabled');
  });
});

describe('allowed IPs', () => {
  const subnet = new Subnet('10.8.0.1', 24);
  it('a split tunnel is the VPN subnet first, then the chosen networks; a full tunnel routes 0.0.0.0/0', () => {
    expect(clientAllowedIps(undefined, subnet)).toEqual(['10.8.0.0/24']);
    expect(clientAllowedIps([], subnet)).toEqual(['10.8.0.0/24']);
    expect(configAllowedIps({ tunnelMode: 'full', allowedIps: ['10.8.0.0/24', '192.168.1.0/24'] }, subnet)).toEqual([
      '0.0.0.0/0',
    ]);
    expect(configAllowedIps({ tunnelMode: 'split', allowedIps: ['192.168.1.0/24'] }, subnet)).toEqual([
      '10.8.0.0/24',
      '192.168.1.0/24',
    ]);
    expect(clientAllowedIps(['192.168.1.0/24'], subnet)).toEqual(['10.8.0.0/24', '192.168.1.0/24']);
    expect(clientAllowedIps(['192.168.1.0/24', '10.8.0.0/24'], subnet)).toEqual(['10.8.0.0/24', '192.168.1.0/24']);
  });

  it.each([
    ['10.0.0.0/8', undefined],
    ['fd00::/64', undefined],
    ['::/0', undefined],
    ['10.0.0.1/8', 'host bits'],
    ['fd00::/129', 'CIDR'],
    ['example.com/24', 'CIDR'],
  ])('cidrProblem(%s)', (cidr, problem) => {
    const found = cidrProblem(cidr);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});
