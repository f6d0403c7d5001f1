// The scale suite's teardown (test/e2e/support/sqld.ts `stopProcess`) must return for a process that is
// already gone, including one ended by a signal (exitCode stays null then). Real: a `sleep` child process.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { stopProcess } from '../e2e/support/sqld.ts';

const withinMs = <T>(ms: number, p: Promise<T>) =>
  Promise.race([p.then(() => 'returned'), new Promise((r) => setTimeout(() => r('still waiting'), ms))]);

describe('stopProcess', () => {
  it('returns at once for a process already killed by a signal', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    await new Promise((r) => child.once('spawn', r));
    await stopProcess(child, 'SIGKILL');
    expect(child.signalCode).toBe('SIGKILL');
    expect(child.exitCode).toBeNull();
    // The second stop is the teardown's: the process is gone and no 'exit' will come again.
    expect(await withinMs(2000, stopProcess(child, 'SIGKILL'))).toBe('returned');
  });

  it('kills a process that ignores the first signal after the grace period', async () => {
    const child = spawn('sh', ['-c', 'trap "" TERM; sleep 30'], { stdio: 'ignore' });
    await new Promise((r) => child.once('spawn', r));
    await new Promise((r) => setTimeout(r, 200));
    expect(await withinMs(3000, stopProcess(child, 'SIGTERM', 300))).toBe('returned');
    expect(child.signalCode).toBe('SIGKILL');
  });
});
