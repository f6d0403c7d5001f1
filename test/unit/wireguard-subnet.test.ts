// Real: the subnet arithmetic and allocation order (pure functions). Simulated: nothing.

import { formatIPv4 } from '@gatehouse/protocol';
import { describe, expect, it } from 'vitest';
import { Subnet } from '../../src/wireguard/subnet.ts';

describe('Subnet', () => {
  const subnet = new Subnet('10.8.0.1', 24);

  it('knows its network, broadcast, CIDR and capacity', () => {
    expect(formatIPv4(subnet.network)).toBe('10.8.0.0');
    expect(formatIPv4(subnet.broadcast)).toBe('10.8.0.255');
    expect(subnet.cidr).toBe('10.8.0.0/24');
    expect(subnet.capacity).toBe(253);
  });

  it.each([
    ['10.8.0.0', 'network address'],
    ['10.8.0.255', 'broadcast address'],
    ['10.8.0.1', 'server'],
    ['10.8.1.2', 'inside the VPN subnet 10.8.0.0/24'],
    ['fd00::1', 'IPv4'],
    ['10.8.0', 'IPv4'],
  ])('refuses %s (%s)', (ip, reason) => {
    expect(subnet.problemWith(ip)).toContain(reason);
  });

  it('accepts host addresses', () => {
    expect(subnet.problemWith('10.8.0.2')).toBeUndefined();
    expect(subnet.problemWith('10.8.0.254')).toBeUndefined();
  });

  it('allocates the lowest free address, skipping the server', () => {
    expect(subnet.firstFree([])).toBe('10.8.0.2');
    expect(subnet.firstFree(['10.8.0.2', '10.8.0.4'])).toBe('10.8.0.3');
    // A server that is not .1: .1 is free for peers, the server's own address is not.
    const other = new Subnet('10.9.0.10', 28);
    expect(other.firstFree([])).toBe('10.9.0.1');
    expect(
      other.firstFree([
        '10.9.0.1',
        '10.9.0.2',
        '10.9.0.3',
        '10.9.0.4',
        '10.9.0.5',
        '10.9.0.6',
        '10.9.0.7',
        '10.9.0.8',
        '10.9.0.9',
      ]),
    ).toBe('10.9.0.11');
  });

  it('reports a full subnet as undefined, after handing out every host exactly once', () => {
    const small = new Subnet('192.168.50.1', 29); // 8 addresses: network, server, 5 peers, broadcast
    const used: string[] = [];
    for (;;) {
      const next = small.firstFree(used);
      if (!next) break;
      used.push(next);
    }
    expect(used).toEqual(['192.168.50.2', '192.168.50.3', '192.168.50.4', '192.168.50.5', '192.168.50.6']);
    expect(used).toHaveLength(small.capacity);
    expect(small.firstFree(used)).toBeUndefined();
  });

  it('fills a /24 completely and no further', () => {
    const used = new Set<string>();
    for (let i = 0; i < 253; i++) used.add(subnet.firstFree(used)!);
    expect(used.size).toBe(253);
    expect(used.has('10.8.0.1')).toBe(false);
    expect(subnet.firstFree(used)).toBeUndefined();
  });
});
