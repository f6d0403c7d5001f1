/** Entries one throttle keeps at most (each is a few hundred bytes). */
const MAX_ENTRIES = 100_000;

/**
 * Slows down guessing: after `freeAttempts` failures for a key, each further attempt must wait an
 * exponentially growing delay (capped). Success clears the key. In memory on purpose: it protects this
 * process's endpoints, and a restart that forgets it costs an attacker a restart of ours.
 */
export class FailureThrottle {
  private readonly entries = new Map<string, { failures: number; blockedUntil: number; lastFailure: number }>();

  constructor(
    private readonly opts: { freeAttempts: number; baseDelayMs: number; maxDelayMs: number; forgetAfterMs: number },
  ) {}

  /** Milliseconds the caller must still wait before the next attempt for `key` (0 = go ahead). */
  retryAfterMs(key: string, now: number): number {
    const entry = this.entries.get(key);
    if (!entry) return 0;
    if (now - entry.lastFailure > this.opts.forgetAfterMs) {
      this.entries.delete(key);
      return 0;
    }
    return Math.max(0, entry.blockedUntil - now);
  }

  /** Whether `key` has failures that are not yet forgotten. */
  hasFailures(key: string, now: number): boolean {
    const entry = this.entries.get(key);
    return entry !== undefined && now - entry.lastFailure <= this.opts.forgetAfterMs;
  }

  fail(key: string, now: number): void {
    const entry = this.entries.get(key) ?? { failures: 0, blockedUntil: 0, lastFailure: now };
    entry.failures += 1;
    entry.lastFailure = now;
    const over = entry.failures - this.opts.freeAttempts;
    if (over > 0) entry.blockedUntil = now + Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** (over - 1));
    // Re-inserted, so the map stays ordered by last failure and the oldest entries come first.
    this.entries.delete(key);
    this.entries.set(key, entry);
    if (this.entries.size > MAX_ENTRIES) this.sweep(now);
  }

  succeed(key: string): void {
    this.entries.delete(key);
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries) {
      if (now - entry.lastFailure > this.opts.forgetAfterMs) this.entries.delete(key);
    }
    // Keys can be chosen by clients (account names): memory stays bounded, the least recent failures go first.
    for (const key of this.entries.keys()) {
      if (this.entries.size <= MAX_ENTRIES * 0.9) break;
      this.entries.delete(key);
    }
  }
}
