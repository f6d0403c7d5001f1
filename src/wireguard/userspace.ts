import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { findOnPath } from './path-lookup.ts';

/**
 * This installation's wireguard-go: bin/wireguard-go, built by scripts/build-wireguard-go.mjs at the version
 * pinned in wireguard-go/go.mod (src/wireguard/ is two levels below the root).
 */
export const INSTALLED_WIREGUARD_GO_BIN = fileURLToPath(new URL('../../bin/wireguard-go', import.meta.url));

export interface UserspaceBinary {
  path: string;
  /** `bundled`: bin/wireguard-go (ours, pinned); `system`: the first wireguard-go on PATH (e.g. Debian's). */
  source: 'bundled' | 'system';
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Ours when it was built, else one on PATH, else none. `bundled` is injectable for tests. */
export async function findWireGuardGo(bundled = INSTALLED_WIREGUARD_GO_BIN): Promise<UserspaceBinary | undefined> {
  if (executable(bundled)) return { path: bundled, source: 'bundled' };
  const system = await findOnPath('wireguard-go');
  return system ? { path: system, source: 'system' } : undefined;
}

/** "v0.0.20250522" from `wireguard-go --version` ("wireguard-go v0.0.20250522\n\nUserspace…"). */
export function parseWireGuardGoVersion(output: string): string | undefined {
  return /^wireguard-go\s+(v?[0-9][\w.+-]*)/m.exec(output)?.[1];
}

/** Asks the binary its version (bounded to 5 s); undefined when it does not answer. */
export function wireGuardGoVersion(bin: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(bin, ['--version'], { timeout: 5_000, maxBuffer: 64 * 1024 }, (err, stdout) =>
      resolve(err ? undefined : parseWireGuardGoVersion(String(stdout))),
    );
  });
}

/** The loaded kernel module's version (/sys/module/wireguard/version), when there is one. */
export function kernelWireGuardVersion(): string | undefined {
  try {
    return readFileSync('/sys/module/wireguard/version', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
