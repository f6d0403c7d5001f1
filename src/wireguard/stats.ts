import type { Logger } from '../logger.ts';
import type { InterfaceDump, PeerDump } from './dump.ts';

/**
 * Short per-peer history for charts: one sample a minute for 24 h, in memory.
 *
 * Why memory and not a table: a sample of 2,000 peers every minute is 2.9 M rows a day, written through the
 * same single SQLite writer lock the API's changes need, for data whose only use is a chart and which is
 * worthless after a day. Losing the chart's history on a restart is acceptable (counters restart with the
 * interface anyway). Samples share one timestamp ring; each peer holds typed arrays of per-interval deltas
 * (Float32: exact to 16 MiB a minute, within 0.00001 % beyond, fine for a chart) and handshake times, so
 * 2,000 peers × 1,440 slots cost ≈ 35 MB and no per-sample objects for the GC.
 */
export interface StatsPoint {
  at: Date;
  rxBytes: number;
  txBytes: number;
  latestHandshake: Date | null;
}

export interface LiveStats {
  latestHandshake: Date | null;
  rxBytes: number;
  txBytes: number;
  endpoint: string | null;
  sampledAt: Date;
}

interface Series {
  /** Sequence number of the first sample this peer appears in. */
  since: number;
  rx: Float32Array;
  tx: Float32Array;
  handshake: Uint32Array;
  lastRx: number;
  lastTx: number;
  live: LiveStats;
}

export class StatsHistory {
  private readonly times: Float64Array;
  private seq = 0;
  private readonly series = new Map<string, Series>();

  constructor(readonly capacity = 1440) {
    this.times = new Float64Array(capacity);
  }

  record(at: Date, dump: InterfaceDump): void {
    const slot = this.seq % this.capacity;
    this.times[slot] = at.getTime();
    const seen = new Set<string>();
    for (const peer of dump.peers) {
      seen.add(peer.publicKey);
      this.recordPeer(slot, at, peer);
    }
    // A peer that left the interface starts a fresh history if it comes back.
    for (const key of this.series.keys()) if (!seen.has(key)) this.series.delete(key);
    this.seq++;
  }

  private recordPeer(slot: number, at: Date, peer: PeerDump) {
    let s = this.series.get(peer.publicKey);
    const first = !s;
    if (!s) {
      s = {
        since: this.seq,
        rx: new Float32Array(this.capacity),
        tx: new Float32Array(this.capacity),
        handshake: new Uint32Array(this.capacity),
        lastRx: peer.rxBytes,
        lastTx: peer.txBytes,
        live: undefined as unknown as LiveStats,
      };
      this.series.set(peer.publicKey, s);
    }
    // Counters restart from 0 when the interface does: then the whole new value is this interval's traffic.
    const delta = (now: number, last: number) => (first ? 0 : now >= last ? now - last : now);
    s.rx[slot] = delta(peer.rxBytes, s.lastRx);
    s.tx[slot] = delta(peer.txBytes, s.lastTx);
    s.handshake[slot] = peer.latestHandshake ? Math.floor(peer.latestHandshake.getTime() / 1000) : 0;
    s.lastRx = peer.rxBytes;
    s.lastTx = peer.txBytes;
    s.live = {
      latestHandshake: peer.latestHandshake,
      rxBytes: peer.rxBytes,
      txBytes: peer.txBytes,
      endpoint: peer.endpoint,
      sampledAt: at,
    };
  }

  latest(publicKey: string): LiveStats | undefined {
    return this.series.get(publicKey)?.live;
  }

  /** Oldest first; at most `capacity` points, only from when the peer first appeared. */
  history(publicKey: string): StatsPoint[] {
    const s = this.series.get(publicKey);
    if (!s) return [];
    const start = Math.max(s.since, this.seq - this.capacity);
    const points: StatsPoint[] = [];
    for (let n = start; n < this.seq; n++) {
      const slot = n % this.capacity;
      const hs = s.handshake[slot]!;
      points.push({
        at: new Date(this.times[slot]!),
        rxBytes: s.rx[slot]!,
        txBytes: s.tx[slot]!,
        latestHandshake: hs === 0 ? null : new Date(hs * 1000),
      });
    }
    return points;
  }
}

/** Samples `wg show dump` every `intervalMs` into a StatsHistory. start()/stop(); no timer at import. */
export class StatsPoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly opts: {
      source: () => Promise<InterfaceDump>;
      history: StatsHistory;
      intervalMs: number;
      now: () => Date;
      logger: Logger;
    },
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.pollOnce(), this.opts.intervalMs);
    this.timer.unref();
    void this.pollOnce();
  }

  async pollOnce(): Promise<void> {
    if (this.running) return this.running; // a slow `wg` never stacks polls
    this.running = (async () => {
      try {
        this.opts.history.record(this.opts.now(), await this.opts.source());
      } catch (err) {
        this.opts.logger.warn({ err: (err as Error).message }, 'WireGuard stats poll failed');
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
