/**
 * Per-route counters the forwarders bump with plain additions (no allocation, no label lookups on the
 * data path). The metrics registry reads them when scraped; they outlive a forwarder that is replaced, so
 * counters stay monotonic across reconciles.
 */
export interface RouteStats {
  connectionsTotal: number;
  connectionsActive: number;
  /** Client → target. */
  bytesUp: number;
  /** Target → client. */
  bytesDown: number;
  errors: Record<string, number>;
}

export function newRouteStats(): RouteStats {
  return { connectionsTotal: 0, connectionsActive: 0, bytesUp: 0, bytesDown: 0, errors: {} };
}

export function countError(stats: RouteStats, kind: string): void {
  stats.errors[kind] = (stats.errors[kind] ?? 0) + 1;
}
