// Real: the command wrapper running real processes (cat, sh, sleep) with argument arrays, stdin, timeouts
// and errors. Simulated: nothing.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommandError, netnsRunner, type Runner, runCommand, withSecretFile } from '../../src/wireguard/exec.ts';

describe('runCommand', () => {
  it('passes stdin and returns stdout', async () => {
    const { stdout } = await runCommand('cat', [], { stdin: 'secret key material\n' });
    expect(stdout).toBe('secret key material\n');
  });

  it('passes arguments verbatim (no shell)', async () => {
    const { stdout } = await runCommand('printf', ['%s|', '$(id)', 'a b', ';rm -rf /']);
    expect(stdout).toBe('$(id)|a b|;rm -rf /|');
  });

  it('names the command, the exit code and stderr, but never stdout', async () => {
    // stdout carries what came in on stdin, so the secret is in no argument the error may name.
    const err = await runCommand('sh', ['-c', 'cat; echo "Unable to access interface" >&2; exit 3'], {
      stdin: 'PRIVATE-ON-STDOUT',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    const e = err as CommandError;
    expect(e.exitCode).toBe(3);
    expect(e.message).toContain('sh -c');
    expect(e.message).toContain('exited with code 3');
    expect(e.message).toContain('Unable to access interface');
    expect(e.message).not.toContain('PRIVATE-ON-STDOUT');
  });

  it('masks anything shaped like a WireGuard key in stderr', async () => {
    const key = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
    const err = (await runCommand('sh', ['-c', 'cat >&2; exit 1'], {
      stdin: `Line unrecognized: \`PrivateKey=${key}'`,
    }).catch((e: unknown) => e)) as CommandError;
    expect(err.message).toContain('Line unrecognized: `PrivateKey=[key]');
    expect(err.message).not.toContain(key);
  });

  it('kills a command that overruns its timeout', async () => {
    const started = Date.now();
    await expect(runCommand('sleep', ['10'], { timeoutMs: 200 })).rejects.toThrow(/sleep 10: timed out after 200 ms/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('says when a command is not installed', async () => {
    await expect(runCommand('gatehouse-no-such-tool', ['x'])).rejects.toThrow(
      /gatehouse-no-such-tool x: command not found/,
    );
  });
});

describe('netnsRunner', () => {
  it('prefixes ip netns exec NS', async () => {
    const seen: string[][] = [];
    const base: Runner = async (command, args) => {
      seen.push([command, ...args]);
      return { stdout: '', stderr: '' };
    };
    await netnsRunner('gh-test', base)('wg', ['show', 'gh0', 'dump']);
    expect(seen).toEqual([['ip', 'netns', 'exec', 'gh-test', 'wg', 'show', 'gh0', 'dump']]);
  });
});

describe('withSecretFile', () => {
  it('hands out an owner-only file in an owner-only directory and removes both, even on failure', async () => {
    let seen = '';
    const result = await withSecretFile('PrivateKey = x\n', async (file) => {
      seen = file;
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
      expect(readFileSync(file, 'utf8')).toBe('PrivateKey = x\n');
      return (await runCommand('cat', [file])).stdout;
    });
    expect(result).toBe('PrivateKey = x\n');
    expect(existsSync(path.dirname(seen))).toBe(false);

    await expect(
      withSecretFile('k', async (file) => {
        seen = file;
        throw new Error('wg failed');
      }),
    ).rejects.toThrow('wg failed');
    expect(existsSync(path.dirname(seen))).toBe(false);
  });
});
