import { UnavailableError } from '../../errors.ts';
import type { PeerNetwork, WireGuardStatus } from '../../wireguard/runtime.ts';
import type { PeerDeps } from './deps.ts';
import { PeerHooks } from './hooks.ts';

/**
 * For an app composed without a WireGuard runtime (tools and tests that only need the database): peers are
 * stored, nothing is applied, and config downloads answer 503 because there is no server key to put in them.
 */
export class OfflineNetwork implements PeerNetwork {
  readonly statsIntervalMs = 60_000;
  serverPublicKey(): string {
    throw new UnavailableError('the WireGuard runtime is not running in this process, so the server key is unknown');
  }
  isUp() {
    return false;
  }
  async apply() {}
  async live() {
    return undefined;
  }
  latest() {
    return undefined;
  }
  history() {
    return [];
  }
  status(): WireGuardStatus {
    return { state: 'disabled', interface: '', detail: 'no WireGuard runtime in this process' };
  }
}

export function offlinePeerDeps(): PeerDeps {
  return { network: new OfflineNetwork(), hooks: new PeerHooks() };
}
