// Real: the IPv4/CIDR helper of @gatehouse/protocol (pure functions), with hostile inputs. Simulated: nothing.
import {
  formatIPv4,
  formatIPv4Cidr,
  ipv4Cidr,
  ipv4CidrContains,
  ipv4Mask,
  parseIPv4,
  parseIPv4Cidr,
} from '@gatehouse/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('parseIPv4 / formatIPv4', () => {
  it('round-trips addresses at the edges', () => {
    for (const ip of ['0.0.0.0', '10.8.0.1', '127.0.0.1', '255.255.255.255', '192.168.1.200']) {
      expect(formatIPv4(parseIPv4(ip)!)).toBe(ip);
    }
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIPv4('128.0.0.0')).toBe(2 ** 31);
  });

  it('round-trips every 32-bit value', () => {
    fc.assert(fc.property(fc.nat({ max: 0xffffffff }), (n) => parseIPv4(formatIPv4(n)) === n));
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.0.0.1',
    '1.2.3.-1',
    '01.2.3.4',
    '1.2.3.4 ',
    ' 1.2.3.4',
    '1.2.3.4/24',
    '0x7f.0.0.1',
    '::1',
    '::ffff:1.2.3.4',
    '1..2.3',
    '١.٢.٣.٤',
    'localhost',
  ])('rejects %j', (text) => {
    expect(parseIPv4(text)).toBeUndefined();
  });

  it('rejects non-strings without throwing', () => {
    for (const value of [undefined, null, 16909060, {}, ['1.2.3.4']]) {
      expect(parseIPv4(value as unknown as string)).toBeUndefined();
    }
  });

  it.each([-1, 2 ** 32, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses to format %s', (n) => {
    expect(() => formatIPv4(n)).toThrow(RangeError);
  });
});

describe('CIDRs', () => {
  it('computes mask, network and broadcast', () => {
    expect(ipv4Mask(0)).toBe(0);
    expect(ipv4Mask(8)).toBe(0xff000000);
    expect(ipv4Mask(32)).toBe(0xffffffff);
    const lan = parseIPv4Cidr('192.168.1.77/24')!;
    expect(formatIPv4(lan.address)).toBe('192.168.1.77');
    expect(formatIPv4(lan.network)).toBe('192.168.1.0');
    expect(formatIPv4(lan.broadcast)).toBe('192.168.1.255');
    expect(formatIPv4Cidr(lan)).toBe('192.168.1.0/24');
    expect(formatIPv4(parseIPv4Cidr('172.16.5.4/30')!.broadcast)).toBe('172.16.5.7');
    expect(formatIPv4(parseIPv4Cidr('10.1.2.3/8')!.broadcast)).toBe('10.255.255.255');
  });

  it('handles /0 and /32 (a shift by 32 is a shift by 0 in JavaScript)', () => {
    const all = parseIPv4Cidr('0.0.0.0/0')!;
    expect([all.network, all.broadcast]).toEqual([0, 0xffffffff]);
    expect(ipv4CidrContains(all, '255.255.255.255')).toBe(true);
    const host = parseIPv4Cidr('10.0.0.7/32')!;
    expect([formatIPv4(host.network), formatIPv4(host.broadcast)]).toEqual(['10.0.0.7', '10.0.0.7']);
    expect(ipv4CidrContains(host, '10.0.0.7')).toBe(true);
    expect(ipv4CidrContains(host, '10.0.0.6')).toBe(false);
  });

  it('tests membership by address or integer, and refuses what is not IPv4', () => {
    const lan = parseIPv4Cidr('192.168.2.0/24')!;
    expect(ipv4CidrContains(lan, '192.168.2.254')).toBe(true);
    expect(ipv4CidrContains(lan, parseIPv4('192.168.2.0')!)).toBe(true);
    expect(ipv4CidrContains(lan, '192.168.3.1')).toBe(false);
    for (const bad of ['::1', 'lan.example', '', '192.168.2.256']) expect(ipv4CidrContains(lan, bad)).toBe(false);
    for (const bad of [-1, 2 ** 32, 1.5, Number.NaN]) expect(ipv4CidrContains(lan, bad)).toBe(false);
  });

  it('contains exactly the addresses between network and broadcast', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffffffff }),
        fc.integer({ min: 0, max: 32 }),
        fc.nat({ max: 0xffffffff }),
        (a, p, x) => {
          const cidr = ipv4Cidr(a, p);
          return ipv4CidrContains(cidr, x) === (x >= cidr.network && x <= cidr.broadcast);
        },
      ),
    );
  });

  it.each([
    '192.168.1.0',
    '192.168.1.0/',
    '192.168.1.0/33',
    '192.168.1.0/-1',
    '192.168.1.0/x',
    '192.168.1.0/024',
    '192.168.1.0/ 24',
    '192.168.1.0/2.4',
    '192.168.1.0/1e1',
    '1.2.3/8',
    '10.0.0.0/8/8',
    '/24',
    'fd00::/64',
    '300.1.1.1/8',
  ])('rejects the CIDR %j', (text) => {
    expect(parseIPv4Cidr(text)).toBeUndefined();
  });

  it('throws for a bad prefix or address value passed directly', () => {
    expect(() => ipv4Mask(33)).toThrow(RangeError);
    expect(() => ipv4Mask(-1)).toThrow(RangeError);
    expect(() => ipv4Mask(8.5)).toThrow(RangeError);
    expect(() => ipv4Cidr(2 ** 32, 8)).toThrow(RangeError);
  });
});
