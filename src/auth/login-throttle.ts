import { isIPv6 } from 'node:net';
import { FailureThrottle } from './throttle.ts';

/** The scope of the admin login (dashboard and API share it). */
export const ADMIN_LOGIN_SCOPE = 'admin';

/** Whose login it is: a scope (the admin login, or one route), the account tried (empty: a shared password), the client. */
export type LoginAttempt = { scope: string; account: string; ip: string };

/**
 * Brute-force limits of a login that never lock out a client that has not failed (SECURITY.md, "an internet
 * client"). Three buckets:
 * - per client (IPv6 per /64) in the scope: a few free failures, then a doubling wait (hard, up to 5 min);
 * - per account in the scope, across all clients: a doubling wait with a low cap, so an attacker rotating
 *   addresses slows down the account it targets by a bounded delay and never locks it;
 * - the account's wait applies only to clients from a network (IPv4 /24, IPv6 /48) that has failed on that
 *   account, so a client from elsewhere is never delayed by others' failures.
 * Only failures count, and only a whole login (every factor) is a success: it clears that client's bucket in
 * that scope and nothing else.
 */
export class LoginThrottle {
  private readonly perClient = new FailureThrottle({
    freeAttempts: 5,
    baseDelayMs: 1000,
    maxDelayMs: 300_000,
    forgetAfterMs: 3_600_000,
  });
  private readonly perAccount = new FailureThrottle({
    freeAttempts: 10,
    baseDelayMs: 1000,
    maxDelayMs: 60_000,
    forgetAfterMs: 600_000,
  });
  // Only remembers which networks failed on an account; it never blocks by itself.
  private readonly failedNetworks = new FailureThrottle({
    freeAttempts: Number.MAX_SAFE_INTEGER,
    baseDelayMs: 0,
    maxDelayMs: 0,
    forgetAfterMs: 3_600_000,
  });

  /** Seconds to wait before this attempt may be checked (0 = go ahead). */
  retryAfterSeconds(attempt: LoginAttempt, now: number): number {
    const k = keys(attempt);
    const own = this.perClient.retryAfterMs(k.client, now);
    const account = this.failedNetworks.hasFailures(k.network, now) ? this.perAccount.retryAfterMs(k.account, now) : 0;
    return Math.ceil(Math.max(own, account) / 1000);
  }

  fail(attempt: LoginAttempt, now: number): void {
    const k = keys(attempt);
    this.perClient.fail(k.client, now);
    this.perAccount.fail(k.account, now);
    this.failedNetworks.fail(k.network, now);
  }

  /** The whole login succeeded: this client starts afresh in this scope. The account's count stays. */
  succeed(attempt: LoginAttempt): void {
    this.perClient.succeed(keys(attempt).client);
  }
}

function keys({ scope, account, ip }: LoginAttempt) {
  // Names are compared loosely here (case, surrounding spaces): grouping more never weakens a throttle.
  const name = account.trim().toLowerCase().slice(0, 128);
  return {
    client: `${scope}\n${ipKey(ip)}`,
    account: `${scope}\n${name}`,
    network: `${scope}\n${name}\n${networkKey(ip)}`,
  };
}

/** The client's bucket: the address itself for IPv4 (IPv4-mapped IPv6 too), its /64 for IPv6. */
export function ipKey(ip: string): string {
  return prefixKey(ip, 32, 4);
}

/** The client's network, for the per-account rule: IPv4 /24, IPv6 /48. */
export function networkKey(ip: string): string {
  return prefixKey(ip, 24, 3);
}

function prefixKey(ip: string, v4Bits: 24 | 32, v6Groups: 3 | 4): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const v4 = mapped ? mapped[1]! : isIPv6(ip) ? null : ip;
  if (v4 !== null) return v4Bits === 32 ? v4 : `${v4.split('.').slice(0, 3).join('.')}.0/24`;
  // Expand :: and keep the first groups.
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return `${groups
    .slice(0, v6Groups)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/${v6Groups * 16}`;
}
