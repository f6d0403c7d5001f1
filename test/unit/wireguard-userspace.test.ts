// Which wireguard-go the server starts and how its version is read (issue 20 item 1). Real: the lookup over a
// temporary directory, the version parser, and "who holds the WireGuard port" for our full-path daemon.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { wireGuardRuns } from '../../src/dashboard/overview/page.tsx';
import { portOwner } from '../../src/host/ports.ts';
import { findWireGuardGo, parseWireGuardGoVersion, wireGuardGoVersion } from '../../src/wireguard/userspace.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'gh-wggo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('wireguard-go: ours first, and its version', () => {
  it('parses the first line of --version; anything else is unknown', () => {
    expect(parseWireGuardGoVersion('wireguard-go v0.0.20250522\n\nUserspace WireGuard daemon')).toBe('v0.0.20250522');
    expect(parseWireGuardGoVersion('wireguard-go v0.0.20220316\n')).toBe('v0.0.20220316');
    for (const hostile of ['', 'v1.2.3', 'wireguard-go \u001b[31m', 'x'.repeat(100_000)])
      expect(parseWireGuardGoVersion(hostile)).toBeUndefined();
  });

  it('prefers bin/wireguard-go when it is executable, else the one on PATH, else none', async () => {
    const bundled = path.join(dir, 'wireguard-go');
    const oldPath = process.env.PATH;
    try {
      process.env.PATH = '/nonexistent';
      expect(await findWireGuardGo(bundled)).toBeUndefined();
      writeFileSync(bundled, '#!/bin/sh\necho "wireguard-go v0.0.20250522"\n');
      chmodSync(bundled, 0o644);
      expect(await findWireGuardGo(bundled)).toBeUndefined(); // not executable: not ours to start
      chmodSync(bundled, 0o755);
      expect(await findWireGuardGo(bundled)).toEqual({ path: bundled, source: 'bundled' });
      expect(await wireGuardGoVersion(bundled)).toBe('v0.0.20250522');
      process.env.PATH = dir;
      expect(await findWireGuardGo(path.join(dir, 'missing'))).toEqual({ path: bundled, source: 'system' });
    } finally {
      process.env.PATH = oldPath;
    }
  });

  it('a version that does not answer is unknown, not an error', async () => {
    expect(await wireGuardGoVersion(path.join(dir, 'no-such-binary'))).toBeUndefined();
  });

  it('our daemon by full path holds the WireGuard port as ours; another interface or program is not', () => {
    const config = loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_WG_INTERFACE: 'gh0' });
    const wgPort = {
      setting: 'GATEHOUSE_WG_PORT',
      port: config.wireguard.port,
      protocol: 'udp' as const,
      required: false,
    };
    const held = (command: string) => portOwner(wgPort as never, config, () => ({ pid: 77, command }));
    expect(held('/opt/gatehouse/bin/wireguard-go gh0')).toMatchObject({ kind: 'our-wireguard' });
    expect(held('wireguard-go gh0')).toMatchObject({ kind: 'our-wireguard' });
    expect(held('/opt/gatehouse/bin/wireguard-go gh1')).toMatchObject({ kind: 'other' });
    expect(held('/tmp/not-wireguard-go gh0 --x')).toMatchObject({ kind: 'other' });
  });
});

describe('the dashboard says which WireGuard runs', () => {
  it('implementation, version and whose binary', () => {
    const bin = { path: '/opt/gatehouse/bin/wireguard-go', source: 'bundled' as const };
    expect(wireGuardRuns({ state: 'up', implementation: 'wireguard-go', version: 'v0.0.20250522', binary: bin })).toBe(
      'wireguard-go v0.0.20250522 (bundled)',
    );
    expect(wireGuardRuns({ state: 'up', implementation: 'kernel', version: '1.0.0' })).toBe('kernel WireGuard 1.0.0');
    expect(wireGuardRuns({ state: 'up', implementation: 'wireguard-go' })).toBe('wireguard-go (version unknown)');
    expect(wireGuardRuns({ state: 'unavailable' })).toBeUndefined();
  });
});
