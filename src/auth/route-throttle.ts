import { isIPv6 } from 'node:net';
import { FailureThrottle } from './throttle.ts';

/**
 * Brute-force limits of route auth (login page, TOTP step and basic auth alike), per client IP (IPv6 per
 * /64, what one subscriber gets) across all routes, and per route across all clients (slows a distributed
 * guess). Only failures count; a complete login clears the client's entry.
 */
export class RouteAuthThrottle {
  // Per client: 5 free failures, then 1 s doubling up to 5 min.
  private readonly perIp = new FailureThrottle({
    freeAttempts: 5,
    baseDelayMs: 1000,
    maxDelayMs: 300_000,
    forgetAfterMs: 3_600_000,
  });
  // Per route: more room (many legitimate users), and capped low so an attacker cannot lock a route long.
  private readonly perRoute = new FailureThrottle({
    freeAttempts: 50,
    baseDelayMs: 1000,
    maxDelayMs: 60_000,
    forgetAfterMs: 600_000,
  });

  /** Seconds to wait before the next attempt (0 = go ahead). */
  retryAfterSeconds(routeId: number, ip: string, now: number): number {
    const ms = Math.max(this.perIp.retryAfterMs(ipKey(ip), now), this.perRoute.retryAfterMs(String(routeId), now));
    return Math.ceil(ms / 1000);
  }

  fail(routeId: number, ip: string, now: number): void {
    this.perIp.fail(ipKey(ip), now);
    this.perRoute.fail(String(routeId), now);
  }

  succeed(ip: string): void {
    this.perIp.succeed(ipKey(ip));
  }
}

export function ipKey(ip: string): string {
  if (!isIPv6(ip)) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  // Expand :: and keep the first four groups (the /64).
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
