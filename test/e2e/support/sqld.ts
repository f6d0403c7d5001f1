import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../helpers/caddy.ts';
import { freePort } from '../../helpers/net.ts';

/** The cached sqld binary (scripts/build-sqld.sh), or why the scale suite cannot run here. */
export function findSqld(): { sqld: string; reason?: undefined } | { sqld?: undefined; reason: string } {
  let binary: string | undefined;
  try {
    binary = execFileSync(path.join(ROOT, 'scripts/build-sqld.sh'), ['--path'], { encoding: 'utf8' }).trim();
  } catch {
    binary = undefined;
  }
  if (binary && existsSync(binary)) return { sqld: binary };
  return { reason: 'no sqld binary: run scripts/build-sqld.sh (about 20 minutes; scripts/install.sh --test does)' };
}

export async function waitUntil<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Resolves once `proc` has exited, at once if it already has. A process ended by a signal keeps `exitCode`
 * null (only `signalCode` is set), so both are checked: waiting for an 'exit' that already happened never
 * returns (the scale suite's teardown hung there for its whole hook timeout after the primary was killed).
 * Bounded: SIGKILL after `graceMs`, and the wait gives up `graceMs` later.
 */
export function stopProcess(proc: ChildProcess, signal: NodeJS.Signals, graceMs = 5_000): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const kill = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    const giveUp = setTimeout(done, 2 * graceMs);
    function done() {
      clearTimeout(kill);
      clearTimeout(giveUp);
      resolve();
    }
    proc.once('exit', done);
    proc.kill(signal);
  });
}

export interface Sqld {
  proc: ChildProcess;
  http: string;
  grpc: string | undefined;
  dir: string;
}

/**
 * One sqld on `host` (loopback by default): a primary with a gRPC port, or a standby of `primaryGrpc`.
 * `wrap` runs it inside a namespace (`['ip', 'netns', 'exec', ns]`).
 */
export async function startSqld(
  sqld: string,
  dir: string,
  opts: {
    primaryGrpc?: string;
    host?: string;
    wrap?: string[];
    ports?: { http: number; grpc?: number };
    args?: string[];
  } = {},
): Promise<Sqld> {
  const host = opts.host ?? '127.0.0.1';
  const httpPort = opts.ports?.http ?? (await freePort());
  const grpcPort = opts.primaryGrpc ? undefined : (opts.ports?.grpc ?? (await freePort()));
  const args = ['--db-path', dir, '--http-listen-addr', `${host}:${httpPort}`, '--no-welcome'];
  if (grpcPort) args.push('--grpc-listen-addr', `${host}:${grpcPort}`);
  if (opts.primaryGrpc) args.push('--primary-grpc-url', opts.primaryGrpc);
  args.push(...(opts.args ?? []));
  const wrap = opts.wrap ?? [];
  const proc = spawn(wrap[0] ?? sqld, wrap.length ? [...wrap.slice(1), sqld, ...args] : args, { stdio: 'ignore' });
  const http = `http://${host}:${httpPort}`;
  await waitUntil(`sqld at ${http}`, async () =>
    proc.exitCode !== null
      ? Promise.reject(new Error('exited'))
      : (await fetch(`${http}/health`, { signal: AbortSignal.timeout(1000) })).ok
        ? true
        : undefined,
  );
  return { proc, http, grpc: grpcPort ? `http://${host}:${grpcPort}` : undefined, dir };
}
