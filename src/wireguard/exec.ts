import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * The one way Gatehouse runs an external command (`wg`, `ip`, `wireguard-go`): an argument array (never a
 * shell string), a timeout that kills the process, optional stdin, and an error that names the command and
 * carries its stderr. stdout is never put into an error or a log line: `wg show … dump` prints the
 * interface's private key. Secrets never go in argv (`ps` shows it): see `withSecretFile`.
 */
export interface RunOptions {
  /** Written to the process's stdin, then stdin is closed. */
  stdin?: string | undefined;
  /** Killed (SIGKILL) after this long. Default 10 s. */
  timeoutMs?: number | undefined;
  env?: NodeJS.ProcessEnv | undefined;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs `command args…`; resolves on exit code 0, else throws a CommandError. */
export type Runner = (command: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>;

const MAX_OUTPUT = 64 * 1024 * 1024;

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    reason: string,
  ) {
    // wg echoes a bad line back ("Line unrecognized: `PrivateKey = …`"): anything shaped like a key is masked.
    const detail = stderr
      .trim()
      .split('\n')
      .slice(-5)
      .join(' | ')
      .replace(/[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=/g, '[key]');
    super(`${[command, ...args].join(' ')}: ${reason}${detail ? `: ${detail}` : ''}`);
    this.name = 'CommandError';
  }
}

export const runCommand: Runner = (command, args, opts = {}) =>
  new Promise((resolve, reject) => {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const fail = (reason: string, code: number | null = null) =>
      finish(() => reject(new CommandError(command, args, code, Buffer.concat(err).toString('utf8'), reason)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(`timed out after ${timeoutMs} ms`);
    }, timeoutMs);
    const collect = (sink: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT) {
        child.kill('SIGKILL');
        fail('produced too much output');
        return;
      }
      sink.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    child.on('error', (e: NodeJS.ErrnoException) =>
      fail(e.code === 'ENOENT' ? 'command not found' : `could not be started (${e.message})`),
    );
    child.on('close', (code, signal) => {
      if (code === 0) {
        finish(() =>
          resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
        );
      } else fail(signal ? `killed by ${signal}` : `exited with code ${code}`, code);
    });
    // A command that exits without reading stdin makes the write fail with EPIPE; its exit code tells the story.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.stdin ?? '');
  });

/**
 * A runner whose commands run inside a network namespace (`ip netns exec NS …`). Tests and benchmarks use
 * it to keep a whole WireGuard server inside namespaces they created.
 */
export function netnsRunner(netns: string, base: Runner = runCommand): Runner {
  return (command, args, opts) => base('ip', ['netns', 'exec', netns, command, ...args], opts);
}

/**
 * Runs `fn` with `content` in a file only we can read (a fresh 0700 directory, the file 0600, written
 * before anything else can open it), and removes both afterwards, whatever happens. For `wg` commands that
 * take keys from a path: `/dev/stdin` does not work for them here, because Node's stdio "pipes" are Unix
 * sockets and `fopen("/dev/stdin")` on a socket fails with ENXIO.
 */
export async function withSecretFile<T>(content: string, fn: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-wg-'));
  try {
    const file = path.join(dir, 'secret.conf');
    await writeFile(file, content, { mode: 0o600, flag: 'wx' });
    return await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
