import { constants, existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';

export interface WireGuardAvailability {
  available: boolean;
  /**
   * `kernel` when the wireguard module is loaded, else `wireguard-go` when that binary and /dev/net/tun are
   * there. A hint only: the interface manager still tries `ip link add … type wireguard` first.
   */
  implementation?: 'kernel' | 'wireguard-go' | undefined;
  /** What is missing and how to install it, for /healthz, the dashboard and the log. */
  detail: string;
}

export const WIREGUARD_INSTALL_HINT =
  'apt-get install -y --no-install-recommends wireguard-tools wireguard-go iproute2';

/** PATH lookup without a shell. */
export async function findOnPath(bin: string, envPath = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, bin);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Can this machine run the WireGuard server interface? Answers with what is missing and how to install
 * it, so the server can keep running with WireGuard marked unavailable instead of failing.
 */
export async function detectWireGuard(): Promise<WireGuardAvailability> {
  if (process.getuid?.() !== 0) {
    return { available: false, detail: 'WireGuard needs root (CAP_NET_ADMIN); peers can still be managed' };
  }
  if (!(await findOnPath('wg'))) {
    return { available: false, detail: `the wg command is missing; install it with: ${WIREGUARD_INSTALL_HINT}` };
  }
  if (!(await findOnPath('ip'))) {
    return { available: false, detail: 'the ip command (iproute2) is missing: apt-get install -y iproute2' };
  }
  if (existsSync('/sys/module/wireguard'))
    return { available: true, implementation: 'kernel', detail: 'kernel WireGuard' };
  if ((await findOnPath('wireguard-go')) && existsSync('/dev/net/tun')) {
    return {
      available: true,
      implementation: 'wireguard-go',
      detail: 'no kernel WireGuard; using wireguard-go over /dev/net/tun',
    };
  }
  return {
    available: false,
    detail: `neither kernel WireGuard nor wireguard-go (with /dev/net/tun) is available; install: ${WIREGUARD_INSTALL_HINT}`,
  };
}
