import type { NewAccessLogRow } from '../../db/schema/index.ts';

export type LiveEntry = NewAccessLogRow;
type Listener = (rows: LiveEntry[]) => void;

/**
 * The live tail: stored batches fanned out to at most `maxSubscribers` listeners (each an SSE stream). A
 * subscriber that cannot be admitted gets `undefined` and the caller answers 503; listeners are called
 * synchronously and must only queue (an SSE writer drops what it cannot send; see the API).
 */
export class AccessLogLive {
  readonly #listeners = new Set<Listener>();
  constructor(readonly maxSubscribers = 20) {}

  get subscribers(): number {
    return this.#listeners.size;
  }

  subscribe(fn: Listener): (() => void) | undefined {
    if (this.#listeners.size >= this.maxSubscribers) return undefined;
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  publish(rows: LiveEntry[]): void {
    for (const fn of this.#listeners) fn(rows);
  }
}
