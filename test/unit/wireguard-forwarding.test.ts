// The forwarding ruleset and the Forwarding state machine with a recording runner (no host changes);
// test/e2e/full-tunnel.test.ts applies the real ruleset inside network namespaces.
import { describe, expect, it } from 'vitest';
import type { Runner } from '../../src/wireguard/exec.ts';
import { Forwarding, renderForwardingRuleset } from '../../src/wireguard/forwarding.ts';
import { silentLogger } from '../helpers/env.ts';

function recorder(ipForward = '0') {
  const calls: string[] = [];
  let value = ipForward;
  const runner: Runner = async (command, args, opts) => {
    calls.push([command, ...args].join(' ') + (opts?.stdin ? `\n${opts.stdin}` : ''));
    if (command === 'sysctl' && args[0] === '-n') return { stdout: `${value}\n`, stderr: '' };
    if (command === 'sysctl' && args[0] === '-w') value = args[1]!.split('=')[1]!;
    return { stdout: '', stderr: '' };
  };
  return { calls, runner, ipForward: () => value };
}

describe('forwarding', () => {
  it('renders our own table only, replaced as a whole (declare, delete, define)', () => {
    const text = renderForwardingRuleset({ iface: 'gh0', sources: ['10.8.0.3', '10.8.0.2'] });
    expect(text.split('\n').slice(0, 2)).toEqual(['table inet gatehouse {}', 'delete table inet gatehouse']);
    expect(text).toContain('elements = { 10.8.0.3, 10.8.0.2 }');
    expect(text).toContain('ip saddr @full_tunnel masquerade');
    expect(text.match(/^table /gm)).toHaveLength(2);
    expect(renderForwardingRuleset({ iface: 'gh0', sources: [] })).toBe(
      'table inet gatehouse {}\ndelete table inet gatehouse\n',
    );
  });

  it('turns ip_forward on only when needed and restores it; idempotent for the same peers', async () => {
    const r = recorder('0');
    const fwd = new Forwarding({
      iface: 'gh0',
      logger: silentLogger,
      runner: r.runner,
      preflight: async () => undefined,
    });
    await fwd.reconcile(['10.8.0.2']);
    expect(fwd.status()).toMatchObject({ state: 'on', full_tunnel_peers: 1 });
    expect(r.ipForward()).toBe('1');
    const count = r.calls.length;
    await fwd.reconcile(['10.8.0.2']);
    expect(r.calls.length).toBe(count);
    await fwd.stop();
    expect(r.ipForward()).toBe('0');
    expect(r.calls.at(-2)).toContain('delete table inet gatehouse');
    expect(fwd.status().state).toBe('off');

    const already = recorder('1');
    const f2 = new Forwarding({
      iface: 'gh0',
      logger: silentLogger,
      runner: already.runner,
      preflight: async () => undefined,
    });
    await f2.reconcile(['10.8.0.2']);
    await f2.stop();
    expect(already.calls.some((c) => c.startsWith('sysctl -w'))).toBe(false);
  });

  it('says why when it cannot (not root, no nft), without running anything', async () => {
    const r = recorder();
    const fwd = new Forwarding({
      iface: 'gh0',
      logger: silentLogger,
      runner: r.runner,
      preflight: async () => 'the nft command is missing; install it with: apt-get install -y nftables',
    });
    await fwd.reconcile(['10.8.0.2']);
    expect(fwd.status()).toMatchObject({ state: 'error', full_tunnel_peers: 1 });
    expect(fwd.status().detail).toContain('nft command is missing');
    expect(r.calls).toEqual([]);
  });
});
