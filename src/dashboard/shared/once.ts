/**
 * Secrets shown once (API and gateway tokens) wait here, keyed by the session's CSRF token, for the single
 * GET after the POST that made them (Post/Redirect/Get): a reload neither repeats the write nor shows the
 * secret again, and the secret never travels in a URL. In memory and short-lived on purpose.
 */
export class OnceStore<T> {
  private readonly entries = new Map<string, { value: T; at: number }>();

  constructor(private readonly ttlMs = 60_000) {}

  put(key: string, value: T): void {
    if (this.entries.size > 1000) this.entries.clear();
    this.entries.set(key, { value, at: Date.now() });
  }

  take(key: string): T | undefined {
    const entry = this.entries.get(key);
    this.entries.delete(key);
    return entry && Date.now() - entry.at < this.ttlMs ? entry.value : undefined;
  }
}
