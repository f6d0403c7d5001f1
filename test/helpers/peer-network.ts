import { PeerHooks } from '../../src/services/peers/hooks.ts';
import type { ServerPeerSpec } from '../../src/wireguard/conf.ts';
import { generateKeyPair } from '../../src/wireguard/keys.ts';
import type { PeerNetwork, WireGuardStatus } from '../../src/wireguard/runtime.ts';
import type { LiveStats, StatsPoint } from '../../src/wireguard/stats.ts';

/**
 * A stand-in for the WireGuard runtime in tests without WireGuard: records every peer set applied (in
 * order), serves stats the test sets, and can be told to fail the next apply like `wg syncconf` would.
 */
export class RecordingNetwork implements PeerNetwork {
  readonly statsIntervalMs = 60_000;
  readonly applied: ServerPeerSpec[][] = [];
  readonly key = generateKeyPair();
  stats = new Map<string, LiveStats>();
  points = new Map<string, StatsPoint[]>();
  failNextApply: string | undefined;
  up = true;

  serverPublicKey() {
    return this.key.publicKey;
  }
  isUp() {
    return this.up;
  }
  async apply(peers: ServerPeerSpec[]) {
    if (this.failNextApply) {
      const message = this.failNextApply;
      this.failNextApply = undefined;
      throw new Error(message);
    }
    this.applied.push(peers.map((p) => ({ ...p })));
  }
  /** Public keys on the "interface" after the last apply. */
  get current(): string[] {
    return (this.applied.at(-1) ?? []).map((p) => p.publicKey);
  }
  async live(publicKey: string) {
    return this.stats.get(publicKey);
  }
  latest(publicKey: string) {
    return this.stats.get(publicKey);
  }
  history(publicKey: string) {
    return this.points.get(publicKey) ?? [];
  }
  status(): WireGuardStatus {
    return { state: this.up ? 'up' : 'unavailable', interface: 'fake0' };
  }
}

export function recordingPeerDeps() {
  const network = new RecordingNetwork();
  return { network, hooks: new PeerHooks() };
}
