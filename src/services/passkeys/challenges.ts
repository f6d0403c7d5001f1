/**
 * WebAuthn challenges waiting for the browser's answer: kept in memory for 5 minutes, each taken once, at most
 * `max` at a time (the oldest go first), keyed by something only that browser holds (its session or its login
 * form's CSRF cookie). A restart forgets them; the user clicks again.
 */
export class ChallengeStore {
  readonly #entries = new Map<string, { challenge: string; userId?: number | undefined; expires: number }>();

  constructor(
    private readonly ttlMs = 5 * 60 * 1000,
    private readonly max = 10_000,
  ) {}

  put(key: string, challenge: string, now: number, userId?: number): void {
    this.#entries.delete(key);
    while (this.#entries.size >= this.max) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(key, { challenge, userId, expires: now + this.ttlMs });
  }

  take(key: string, now: number): { challenge: string; userId?: number | undefined } | undefined {
    const entry = this.#entries.get(key);
    this.#entries.delete(key);
    return entry && entry.expires > now ? entry : undefined;
  }
}
