import { LoginThrottle } from './login-throttle.ts';

export { ipKey } from './login-throttle.ts';

/**
 * Brute-force limits of route auth (login page, TOTP step and basic auth alike): a LoginThrottle whose scope
 * is the route, so a client's failures on one route neither slow nor are cleared by another route, and the
 * account is the route user (empty for the shared password).
 */
export class RouteAuthThrottle {
  private readonly throttle = new LoginThrottle();

  /** Seconds to wait before the next attempt (0 = go ahead). */
  retryAfterSeconds(routeId: number, account: string, ip: string, now: number): number {
    return this.throttle.retryAfterSeconds({ scope: `route:${routeId}`, account, ip }, now);
  }

  fail(routeId: number, account: string, ip: string, now: number): void {
    this.throttle.fail({ scope: `route:${routeId}`, account, ip }, now);
  }

  /** A complete login (every factor) on this route: clears this client's bucket here only. */
  succeed(routeId: number, account: string, ip: string): void {
    this.throttle.succeed({ scope: `route:${routeId}`, account, ip });
  }
}
