import { checkCaddy, checkClock, checkDataDir, checkDisk } from './machine-checks.ts';
import { checkDns, checkForwarding, checkPorts, checkWireGuard } from './network-checks.ts';
import type { Check, CheckResult, DoctorEnv } from './types.ts';

export type { CheckResult, DoctorEnv } from './types.ts';

/** In the order an operator fixes things: where the data lives, the binaries, then the network. */
export const CHECKS: Check[] = [
  checkDataDir,
  checkDisk,
  checkCaddy,
  checkWireGuard,
  checkPorts,
  checkForwarding,
  checkDns,
  checkClock,
];

/** Runs every check; one that throws is reported as a failure of its own, never ends the run. */
export async function runDoctor(env: DoctorEnv, checks: Check[] = CHECKS): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    try {
      results.push(...(await check(env)));
    } catch (err) {
      results.push({
        check: check.name || 'check',
        level: 'fail',
        message: `the check itself failed: ${(err as Error).message}`,
      });
    }
  }
  return results;
}

/** One line per result: `ok   caddy       v2.11.9 with the gatehouse module`. */
export function formatResults(results: CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.check.length));
  return results.map((r) => `${r.level.padEnd(4)} ${r.check.padEnd(width)}  ${r.message}`).join('\n');
}

export function doctorExitCode(results: CheckResult[]): number {
  return results.some((r) => r.level === 'fail') ? 1 : 0;
}
