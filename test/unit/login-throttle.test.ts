// Real: src/auth/login-throttle.ts and src/auth/throttle.ts (pure, in memory). Simulated: time is passed in.
import { describe, expect, it } from 'vitest';
import { ipKey, LoginThrottle, networkKey } from '../../src/auth/login-throttle.ts';
import { FailureThrottle } from '../../src/auth/throttle.ts';

const T0 = Date.parse('2026-11-21T12:00:00Z');

describe('networkKey', () => {
  it('groups IPv4 by /24 and IPv6 by /48, IPv4-mapped IPv6 as IPv4', () => {
    expect(networkKey('203.0.113.9')).toBe('203.0.113.0/24');
    expect(networkKey('::ffff:203.0.113.9')).toBe('203.0.113.0/24');
    expect(networkKey('2001:db8:1:2::1')).toBe(networkKey('2001:db8:1:ffff::2'));
    expect(networkKey('2001:0db8:0001:0002::1')).toBe('2001:db8:1::/48');
    expect(networkKey('2001:db8:1::1')).not.toBe(networkKey('2001:db8:2::1'));
  });

  it('gives hostile or missing addresses a key of their own without throwing', () => {
    for (const value of ['unknown', '', ':::', 'x'.repeat(10_000), '1.2.3', '::']) {
      expect(typeof networkKey(value)).toBe('string');
      expect(typeof ipKey(value)).toBe('string');
    }
  });
});

describe('LoginThrottle', () => {
  const attempt = (ip: string, account = 'alice') => ({ scope: 'route:1', account, ip });

  it('treats one name in any case or spacing as one account, and takes names of any length', () => {
    const t = new LoginThrottle();
    // 10 free failures per account; each from its own /64 in one /48 (5 per client would be free anyway).
    const names = ['alice', 'ALICE', ' Alice ', 'aLiCe'];
    for (let i = 0; i < 11; i++) t.fail(attempt(`2001:db8:9:${i}::1`, names[i % names.length]), T0);
    expect(t.retryAfterSeconds(attempt('2001:db8:9:99::1', 'Alice'), T0)).toBeGreaterThan(0);
    const long = 'a'.repeat(100_000);
    expect(() => t.fail(attempt('198.51.100.1', long), T0)).not.toThrow();
  });

  it('does not delay a client from another network, and a success clears only the own client', () => {
    const t = new LoginThrottle();
    for (let i = 0; i < 12; i++) t.fail(attempt('198.51.100.7'), T0);
    expect(t.retryAfterSeconds(attempt('198.51.100.7'), T0)).toBeGreaterThan(0);
    expect(t.retryAfterSeconds(attempt('203.0.113.1'), T0)).toBe(0);
    t.succeed(attempt('203.0.113.1'));
    expect(t.retryAfterSeconds(attempt('198.51.100.7'), T0)).toBeGreaterThan(0);
  });

  it('caps the account delay at 60 s however many failures', () => {
    const t = new LoginThrottle();
    for (let i = 0; i < 500; i++) t.fail(attempt(`2001:db8:9:${i.toString(16)}::1`), T0);
    expect(t.retryAfterSeconds(attempt('2001:db8:9:ffff::1'), T0)).toBe(60);
  });
});

describe('FailureThrottle memory', () => {
  it('keeps at most 100,000 keys, dropping the least recent failures first', () => {
    const t = new FailureThrottle({ freeAttempts: 0, baseDelayMs: 1000, maxDelayMs: 1000, forgetAfterMs: 3_600_000 });
    t.fail('first', T0);
    for (let i = 0; i < 100_001; i++) t.fail(`k${i}`, T0 + 1);
    expect(t.hasFailures('first', T0 + 1)).toBe(false);
    expect(t.hasFailures('k100000', T0 + 1)).toBe(true);
  });
});
