import { existsSync } from 'node:fs';
import { findOnPath } from './path-lookup.ts';
import { findWireGuardGo, kernelWireGuardVersion, type UserspaceBinary, wireGuardGoVersion } from './userspace.ts';

export { findOnPath } from './path-lookup.ts';

export interface WireGuardAvailability {
  available: boolean;
  /**
   * `kernel` when the wireguard module is loaded, else `wireguard-go` when that binary and /dev/net/tun are
   * there. A hint only: the interface manager still tries `ip link add … type wireguard` first.
   */
  implementation?: 'kernel' | 'wireguard-go' | undefined;
  /** The wireguard-go to start when there is no kernel WireGuard: ours (bin/) first, else one on PATH. */
  userspace?: UserspaceBinary | undefined;
  /** The implementation's version: the kernel module's, or what the wireguard-go binary reports. */
  version?: string | undefined;
  /** What is missing and how to install it, for /healthz, the dashboard and the log. */
  detail: string;
}

export const WIREGUARD_INSTALL_HINT =
  'apt-get install -y --no-install-recommends wireguard-tools wireguard-go iproute2';

/**
 * Can this machine run the WireGuard server interface? Answers with what is missing and how to install
 * it, so the server can keep running with WireGuard marked unavailable instead of failing.
 */
export async function detectWireGuard(bundled?: string): Promise<WireGuardAvailability> {
  if (process.getuid?.() !== 0) {
    return { available: false, detail: 'WireGuard needs root (CAP_NET_ADMIN); peers can still be managed' };
  }
  if (!(await findOnPath('wg'))) {
    return { available: false, detail: `the wg command is missing; install it with: ${WIREGUARD_INSTALL_HINT}` };
  }
  if (!(await findOnPath('ip'))) {
    return { available: false, detail: 'the ip command (iproute2) is missing: apt-get install -y iproute2' };
  }
  const userspace = await findWireGuardGo(bundled);
  if (existsSync('/sys/module/wireguard')) {
    const version = kernelWireGuardVersion();
    return { available: true, implementation: 'kernel', userspace, version, detail: 'kernel WireGuard' };
  }
  if (userspace && existsSync('/dev/net/tun')) {
    const version = await wireGuardGoVersion(userspace.path);
    return {
      available: true,
      implementation: 'wireguard-go',
      userspace,
      version,
      detail: `no kernel WireGuard; using ${describeUserspace(userspace, version)} over /dev/net/tun`,
    };
  }
  return {
    available: false,
    detail: `neither kernel WireGuard nor wireguard-go (with /dev/net/tun) is available; install: ${WIREGUARD_INSTALL_HINT}`,
  };
}

/** "wireguard-go v0.0.20250522 (bundled, /opt/gatehouse/bin/wireguard-go)", for logs, health and doctor. */
export function describeUserspace(bin: UserspaceBinary, version: string | undefined): string {
  return `wireguard-go ${version ?? '(version unknown)'} (${bin.source}, ${bin.path})`;
}
