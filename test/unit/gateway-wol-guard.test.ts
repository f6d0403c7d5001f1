// Real: magic-packet encoding, MAC parsing, broadcast arithmetic and the target guard's address rules.
// Simulated: interface tables and DNS answers (plain objects and functions passed in).

import {
  broadcastFor,
  broadcastOf,
  createTargetGuard,
  isForbiddenAddress,
  magicPacket,
  parseMac,
} from '@gatehouse/agent';
import { describe, expect, it } from 'vitest';

describe('wake-on-lan encoding', () => {
  it('builds 6 × 0xFF then the MAC 16 times', () => {
    const packet = magicPacket('01-23-45-67-89-ab');
    expect(packet.length).toBe(102);
    expect([...packet.subarray(0, 6)]).toEqual([255, 255, 255, 255, 255, 255]);
    for (let i = 0; i < 16; i++) expect(packet.subarray(6 + i * 6, 12 + i * 6).toString('hex')).toBe('0123456789ab');
  });

  it.each(['aa:bb:cc:dd:ee:ff', 'AA-BB-CC-DD-EE-FF', 'aabbccddeeff'])('parses %s', (mac) => {
    expect(parseMac(mac).toString('hex')).toBe('aabbccddeeff');
  });

  it.each(['aa:bb:cc:dd:ee', 'aa:bb-cc:dd:ee:ff', 'zz:bb:cc:dd:ee:ff', ''])('rejects %j', (mac) => {
    expect(() => parseMac(mac)).toThrow(/not a MAC address/);
  });

  it('computes directed broadcast addresses', () => {
    expect(broadcastOf('192.168.2.0/24')).toBe('192.168.2.255');
    expect(broadcastOf('10.1.2.3/8')).toBe('10.255.255.255');
    expect(broadcastOf('172.16.5.4/30')).toBe('172.16.5.7');
    expect(() => broadcastOf('192.168.2.0')).toThrow();
  });

  it('picks the broadcast of the interface network that holds the target', () => {
    const interfaces = {
      eth0: [
        {
          address: '192.168.2.10',
          netmask: '255.255.255.0',
          family: 'IPv4',
          mac: '',
          internal: false,
          cidr: '192.168.2.10/24',
        },
      ],
    } as unknown as NodeJS.Dict<import('node:os').NetworkInterfaceInfo[]>;
    expect(broadcastFor('192.168.2.50', interfaces)).toBe('192.168.2.255');
    expect(broadcastFor('10.0.0.5', interfaces)).toBe('255.255.255.255');
  });
});

describe('target guard', () => {
  it.each([
    ['169.254.169.254', true],
    ['169.254.0.1', true],
    ['::ffff:169.254.169.254', true],
    ['fe80::1', true],
    ['fd00:ec2::254', true],
    ['100.100.100.200', true],
    ['0.0.0.0', true],
    ['192.168.1.10', false],
    ['127.0.0.1', false],
    ['10.0.0.1', false],
    ['2001:db8::1', false],
  ])('%s forbidden: %s', (address, forbidden) => {
    expect(isForbiddenAddress(address)).toBe(forbidden);
  });

  it('refuses a name if any of its addresses is forbidden, and dials the checked address', async () => {
    const guard = createTargetGuard({
      ownPorts: () => new Set(),
      resolve: async (host) => (host === 'nas.lan' ? ['192.168.1.5'] : ['192.168.1.6', '169.254.169.254']),
    });
    await expect(guard('nas.lan', 445)).resolves.toBe('192.168.1.5');
    await expect(guard('sneaky.lan', 80)).rejects.toThrow(/link-local/);
  });

  it("refuses the agent's own listener ports on its own addresses only", async () => {
    const guard = createTargetGuard({ ownPorts: () => new Set([2222]), policy: () => ({ allowLoopback: true }) });
    await expect(guard('127.0.0.1', 2222)).rejects.toThrow(/own listeners/);
    await expect(guard('127.0.0.1', 2223)).resolves.toBe('127.0.0.1');
    await expect(guard('192.0.2.1', 2222)).resolves.toBe('192.0.2.1');
  });
});
