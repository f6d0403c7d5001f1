import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface WireGuardAvailability {
  available: boolean;
  /** `kernel` when `ip link add … type wireguard` works, else `wireguard-go` when that binary is there. */
  implementation?: 'kernel' | 'wireguard-go' | undefined;
  detail: string;
}

async function onPath(bin: string): Promise<boolean> {
  try {
    await run('sh', ['-c', 'command -v "$1"', 'sh', bin], { timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Can this machine run the WireGuard server interface? Answers with what is missing and how to install
 * it, so the server can keep running with WireGuard marked unavailable instead of failing.
 */
export async function detectWireGuard(): Promise<WireGuardAvailability> {
  const install = 'apt-get install -y --no-install-recommends wireguard-tools wireguard-go';
  if (process.getuid?.() !== 0)
    return { available: false, detail: 'WireGuard needs root (CAP_NET_ADMIN); peers can still be managed' };
  if (!(await onPath('wg')))
    return { available: false, detail: `the wg command is missing; install it with: ${install}` };
  if (!(await onPath('ip')))
    return { available: false, detail: 'the ip command (iproute2) is missing: apt-get install -y iproute2' };
  if (existsSync('/sys/module/wireguard'))
    return { available: true, implementation: 'kernel', detail: 'kernel WireGuard' };
  if ((await onPath('wireguard-go')) && existsSync('/dev/net/tun')) {
    return {
      available: true,
      implementation: 'wireguard-go',
      detail: 'no kernel WireGuard; using wireguard-go over /dev/net/tun',
    };
  }
  return {
    available: false,
    detail: `neither kernel WireGuard nor wireguard-go (with /dev/net/tun) is available; install: ${install}`,
  };
}
