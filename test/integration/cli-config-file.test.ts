// `gatehouse export` and `gatehouse apply FILE [--plan] [--prune]` as an operator runs them.
// Real: bin/gatehouse as a child process over two temp data dirs (databases and secret keys), the services.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/env.ts';

const run = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, '../../bin/gatehouse');

let a: ReturnType<typeof tempDir>;
let b: ReturnType<typeof tempDir>;
beforeEach(() => {
  a = tempDir('gatehouse-cli-a-');
  b = tempDir('gatehouse-cli-b-');
});
afterEach(() => {
  a.cleanup();
  b.cleanup();
});

async function gatehouse(dir: string, args: string[]) {
  const env = { PATH: process.env.PATH ?? '', GATEHOUSE_DATA_DIR: dir, GATEHOUSE_LOG_LEVEL: 'warn' };
  try {
    const r = await run(BIN, args, { env, timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const FILE = `version: 1
peers:
  - name: laptop
    tags: [staff]
routes:
  - name: app
    type: http
    domain: app.example.com
    target_kind: peer
    peer: laptop
    target_port: 8080
`;

describe('gatehouse export / apply', () => {
  it('plans, applies, round-trips through a second data dir, and names file:line on errors', async () => {
    const file = path.join(a.dir, 'in.yaml');
    writeFileSync(file, FILE);
    const plan = await gatehouse(a.dir, ['apply', file, '--plan']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('+ peer "laptop"');
    expect(plan.stdout).toContain('Plan: 2 to create, 0 to change, 0 to delete.');
    expect(plan.stdout).not.toContain('Applied');

    const applied = await gatehouse(a.dir, ['apply', file]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/Applied: config version \d+/);
    expect((await gatehouse(a.dir, ['apply', file])).stdout).toContain('No changes');

    const out = path.join(a.dir, 'export.yaml');
    expect((await gatehouse(a.dir, ['export', '--with-secrets', '--output', out])).code).toBe(0);
    expect((await gatehouse(b.dir, ['apply', out])).code).toBe(0);
    const again = await gatehouse(b.dir, ['export', '--with-secrets']);
    expect(again.stdout).toBe(readFileSync(out, 'utf8'));
    expect(again.stdout).toContain('private_key:');
    expect((await gatehouse(b.dir, ['export'])).stdout).not.toContain('private_key:');

    const bad = path.join(a.dir, 'bad.yaml');
    writeFileSync(bad, FILE.replace('peer: laptop', 'peer: desktop'));
    const refused = await gatehouse(a.dir, ['apply', bad]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('bad.yaml:10: routes.0.peer: no peer named "desktop"');
  });
});
