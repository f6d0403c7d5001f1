// Real: the WireGuard runtime and interface manager logic (bring-up order, fallback to wireguard-go,
// adoption of an existing interface, unavailable/error states, secrets kept out of argv), the server key on
// disk, and the endpoint/DNS validation of the config. Simulated: every external command (a scripted runner
// that records argv and what the secret files held), so this runs without root or WireGuard.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type Config, ConfigError, loadConfig } from '../../src/config/index.ts';
import { CommandError, type Runner } from '../../src/wireguard/exec.ts';
import { WireGuardRuntime } from '../../src/wireguard/runtime.ts';
import { silentLogger, tempDir } from '../helpers/env.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function config(env: Record<string, string> = {}): Config {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return loadConfig({ GATEHOUSE_DATA_DIR: dir, GATEHOUSE_WG_INTERFACE: 'ghtest0', ...env });
}

/** Answers like the real tools on a machine without kernel WireGuard; records argv and secret-file contents. */
function scriptedRunner(opts: { exists?: boolean; failOn?: string } = {}) {
  const calls: string[] = [];
  const files: string[] = [];
  let created = opts.exists ?? false;
  const runner: Runner = async (command, args) => {
    const line = [command, ...args].join(' ');
    calls.push(line);
    const fail = (stderr: string, code = 1) => {
      throw new CommandError(command, args, code, stderr, `exited with code ${code}`);
    };
    if (opts.failOn && line.startsWith(opts.failOn)) fail('simulated failure');
    if (line.startsWith('ip link show'))
      return created ? { stdout: '5: ghtest0: <POINTOPOINT>', stderr: '' } : fail('Device "ghtest0" does not exist.');
    if (line.includes('type wireguard')) fail('Error: Unknown device type.', 2);
    if (command === 'wireguard-go') created = true;
    const fileArg = args.find((a) => a.includes('gatehouse-wg-'));
    if (fileArg) files.push(readFileSync(fileArg, 'utf8'));
    if (line.endsWith('dump')) return { stdout: '(hidden)\tPUB\t51820\toff\n', stderr: '' };
    return { stdout: '', stderr: '' };
  };
  return { runner, calls, files };
}

const available = { available: true, implementation: 'wireguard-go' as const, detail: 'test' };
const PEER = { publicKey: 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=', presharedKey: null, address: '10.8.0.2' };

describe('WireGuardRuntime', () => {
  it('falls back to wireguard-go, configures key/port/address, applies peers, and keeps secrets out of argv', async () => {
    const { runner, calls, files } = scriptedRunner();
    const runtime = new WireGuardRuntime({ config: config(), logger: silentLogger, runner, availability: available });
    await runtime.start([PEER]);
    expect(runtime.status()).toMatchObject({ state: 'up', implementation: 'wireguard-go', interface: 'ghtest0' });
    // (The stats poller's first `wg show … dump` runs alongside; it is not part of the bring-up.)
    const setup = calls.filter((c) => !c.endsWith(' dump')).map((c) => c.replace(/\S*gatehouse-wg-\S*/, '<file>'));
    expect(calls).toContain('wg show ghtest0 dump');
    expect(setup).toEqual([
      'ip link show dev ghtest0',
      'ip link add dev ghtest0 type wireguard',
      'wireguard-go ghtest0',
      'wg set ghtest0 listen-port 51820 private-key <file>',
      'ip -4 address replace 10.8.0.1/24 dev ghtest0',
      'ip link set dev ghtest0 up',
      'wg syncconf ghtest0 <file>',
    ]);
    const privateKey = files[0]!.trim();
    expect(files[1]).toContain(`PrivateKey = ${privateKey}`);
    expect(files[1]).toContain(`PublicKey = ${PEER.publicKey}\nAllowedIPs = 10.8.0.2/32`);
    for (const call of calls) expect(call).not.toContain(privateKey);

    await runtime.apply([]);
    expect(calls.at(-1)).toMatch(/^wg syncconf ghtest0 /);
    expect(files.at(-1)).not.toContain('[Peer]');
    await runtime.stop();
    expect(calls.some((c) => c.startsWith('ip link del'))).toBe(false); // the server leaves the VPN up
  });

  it('starts the wireguard-go it was given (ours, bin/) and reports its version and binary', async () => {
    const { runner, calls } = scriptedRunner();
    const bundled = { path: '/opt/gatehouse/bin/wireguard-go', source: 'bundled' as const };
    const runtime = new WireGuardRuntime({
      config: config(),
      logger: silentLogger,
      runner,
      availability: { ...available, userspace: bundled, version: 'v0.0.20250522' },
    });
    await runtime.start();
    expect(calls).toContain('/opt/gatehouse/bin/wireguard-go ghtest0');
    expect(runtime.status()).toMatchObject({
      implementation: 'wireguard-go',
      version: 'v0.0.20250522',
      binary: bundled,
    });
    await runtime.stop();
  });

  it('adopts an interface that is already there instead of creating one', async () => {
    const { runner, calls } = scriptedRunner({ exists: true });
    const runtime = new WireGuardRuntime({
      config: config(),
      logger: silentLogger,
      runner,
      availability: available,
      teardownOnStop: true,
    });
    await runtime.start();
    expect(runtime.status().implementation).toBe('existing');
    expect(calls.filter((c) => c.includes('wireguard-go') || c.includes('link add'))).toEqual([]);
    await runtime.stop();
    expect(calls.at(-1)).toBe('ip link del dev ghtest0');
  });

  it('reports unavailable with what to install, keeps the key, and applies nothing', async () => {
    const { runner, calls } = scriptedRunner();
    const runtime = new WireGuardRuntime({
      config: config(),
      logger: silentLogger,
      runner,
      availability: {
        available: false,
        detail: 'the wg command is missing; install it with: apt-get install wireguard-tools',
      },
    });
    await runtime.start();
    expect(runtime.status()).toMatchObject({
      state: 'unavailable',
      detail: expect.stringContaining('apt-get install'),
    });
    expect(runtime.isUp()).toBe(false);
    expect(runtime.serverPublicKey()).toMatch(/=$/);
    await runtime.apply([PEER]);
    expect(await runtime.live(PEER.publicKey)).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('marks a failed bring-up as error, or fails start() when WireGuard is required', async () => {
    const soft = new WireGuardRuntime({
      config: config(),
      logger: silentLogger,
      runner: scriptedRunner({ failOn: 'wg set' }).runner,
      availability: available,
    });
    await soft.start();
    expect(soft.status()).toMatchObject({ state: 'error', detail: expect.stringContaining('wg set ghtest0') });

    const hard = new WireGuardRuntime({
      config: config({ GATEHOUSE_WG_ENABLED: 'true' }),
      logger: silentLogger,
      runner: scriptedRunner({ failOn: 'wg set' }).runner,
      availability: available,
    });
    await expect(hard.start()).rejects.toThrow(/wg set ghtest0 .*simulated failure/);

    const off = new WireGuardRuntime({ config: config({ GATEHOUSE_WG_ENABLED: 'false' }), logger: silentLogger });
    await off.start();
    expect(off.status()).toMatchObject({ state: 'disabled', detail: 'disabled by GATEHOUSE_WG_ENABLED=false' });
  });
});

describe('WireGuard configuration', () => {
  it.each([
    'vpn.example.com',
    'vpn.example.com:4500',
    '203.0.113.5',
    '203.0.113.5:51820',
    '2001:db8::1',
    '[2001:db8::1]:51820',
    'localhost',
  ])('accepts the endpoint %s', (endpoint) => {
    expect(loadConfig({ GATEHOUSE_WG_ENDPOINT: endpoint }).wireguard.endpoint).toBe(endpoint);
  });

  it.each([
    'vpn example.com',
    'vpn.example.com:0',
    'vpn.example.com:70000',
    'https://vpn.example.com',
    '[vpn]:1',
    '-bad.example.com',
  ])('rejects the endpoint %s naming the variable', (endpoint) => {
    const err = (() => {
      try {
        loadConfig({ GATEHOUSE_WG_ENDPOINT: endpoint });
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.problems[0]!.variable).toBe('GATEHOUSE_WG_ENDPOINT');
  });

  it('accepts DNS servers as IPs and rejects names', () => {
    expect(loadConfig({ GATEHOUSE_WG_DNS: '1.1.1.1, 2606:4700:4700::1111' }).wireguard.dns).toBe(
      '1.1.1.1, 2606:4700:4700::1111',
    );
    expect(() => loadConfig({ GATEHOUSE_WG_DNS: 'dns.google' })).toThrow(/GATEHOUSE_WG_DNS: must be IP addresses/);
  });
});
