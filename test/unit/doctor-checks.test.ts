// `gatehouse doctor`'s checks against a fake machine, and the /proc parsing behind "who holds this port".
// Real: the check functions and the parsers. Simulated: every file, program, port and DNS answer (DoctorEnv).
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { doctorExitCode, formatResults, runDoctor } from '../../src/host/doctor/index.ts';
import { checkCaddy, checkClock, checkDataDir, checkDisk } from '../../src/host/doctor/machine-checks.ts';
import { checkDns, checkForwarding, checkPorts, checkWireGuard } from '../../src/host/doctor/network-checks.ts';
import type { DoctorEnv } from '../../src/host/doctor/types.ts';
import { boundInodes, findPortHolder, type ProcReader } from '../../src/host/sockets.ts';
import { INSTALLED_WIREGUARD_GO_BIN } from '../../src/wireguard/userspace.ts';

function fakeEnv(overrides: Partial<DoctorEnv> = {}, env: Record<string, string> = {}): DoctorEnv {
  const config = loadConfig({ GATEHOUSE_DATA_DIR: '/srv/gh', GATEHOUSE_CADDY_BIN: '/opt/caddy', ...env });
  return {
    config,
    uid: 0,
    probe: async () => 'free',
    owner: () => ({ kind: 'unknown' }),
    readFile: () => undefined,
    exists: () => false,
    which: async () => undefined,
    run: async () => ({ ok: false, stdout: '' }),
    freeBytes: () => 50 * 1024 ** 3,
    stat: () => undefined,
    writable: () => true,
    lookup: async () => [],
    localAddresses: () => ['127.0.0.1', '192.0.2.10'],
    timezone: () => 'Europe/Berlin',
    ...overrides,
  };
}

describe('checkPorts', () => {
  it('ok when free or held by this installation; fail naming the setting and holder otherwise', async () => {
    const env = fakeEnv({
      probe: async (p) => (p.setting === 'GATEHOUSE_LISTEN' ? 'free' : 'busy'),
      owner: (p) =>
        p.setting === 'GATEHOUSE_HTTP_PORT'
          ? { kind: 'our-caddy', pid: 42 }
          : p.setting === 'GATEHOUSE_WG_PORT'
            ? { kind: 'other', holder: { pid: 7, command: 'openvpn' } }
            : { kind: 'other', holder: { pid: 9, command: 'nginx: master process' } },
    });
    const results = await checkPorts(env);
    expect(results.map((r) => [r.check, r.level])).toEqual([
      ['port GATEHOUSE_LISTEN', 'ok'],
      ['port GATEHOUSE_HTTP_PORT', 'ok'],
      ['port GATEHOUSE_HTTPS_PORT', 'fail'],
      // WireGuard in auto mode degrades instead of failing: a warning.
      ['port GATEHOUSE_WG_PORT', 'warn'],
    ]);
    expect(results[2]!.message).toContain('GATEHOUSE_HTTPS_PORT=443');
    expect(results[2]!.message).toContain('held by pid 9 (nginx: master process)');
  });

  it('a port below 1024 without the right to bind it fails with the fix', async () => {
    const results = await checkPorts(fakeEnv({ probe: async (p) => (p.port < 1024 ? 'denied' : 'free') }));
    expect(results.find((r) => r.check === 'port GATEHOUSE_HTTP_PORT')).toMatchObject({ level: 'fail' });
    expect(results.find((r) => r.check === 'port GATEHOUSE_HTTP_PORT')!.message).toContain('CAP_NET_BIND_SERVICE');
  });
});

describe('checkWireGuard', () => {
  it('disabled is ok; missing wg warns in auto and fails when required; kernel module with root is ok', async () => {
    expect((await checkWireGuard(fakeEnv({}, { GATEHOUSE_WG_ENABLED: 'false' })))[0]!.level).toBe('ok');
    expect((await checkWireGuard(fakeEnv()))[0]!.level).toBe('warn');
    expect((await checkWireGuard(fakeEnv({}, { GATEHOUSE_WG_ENABLED: 'true' })))[0]!.level).toBe('fail');
    const ready = fakeEnv({
      which: async (b) => (b === 'wg' ? '/usr/bin/wg' : undefined),
      exists: (f) => f === '/sys/module/wireguard',
    });
    expect((await checkWireGuard(ready))[0]).toMatchObject({ level: 'ok', message: expect.stringContaining('kernel') });
    expect((await checkWireGuard({ ...ready, uid: 1000 }))[0]!.message).toContain('CAP_NET_ADMIN');
  });
});

describe('checkWireGuard: which implementation and version run', () => {
  const base = {
    which: async (b: string) =>
      b === 'wg' ? '/usr/bin/wg' : b === 'wireguard-go' ? '/usr/bin/wireguard-go' : undefined,
  };
  it('kernel: names the module version', async () => {
    const env = fakeEnv({
      ...base,
      exists: (f) => f === '/sys/module/wireguard',
      readFile: (f) => (f === '/sys/module/wireguard/version' ? '1.0.0\n' : undefined),
    });
    expect((await checkWireGuard(env))[0]).toMatchObject({
      level: 'ok',
      message: 'kernel WireGuard 1.0.0, wg at /usr/bin/wg',
    });
  });
  it('ours (bin/wireguard-go) first: ok with the version it reports', async () => {
    const env = fakeEnv({
      ...base,
      exists: (f) => f === INSTALLED_WIREGUARD_GO_BIN || f === '/dev/net/tun',
      run: async (bin) => ({
        ok: bin === INSTALLED_WIREGUARD_GO_BIN,
        stdout: 'wireguard-go v0.0.20250522\n\nUserspace',
      }),
    });
    const [result] = await checkWireGuard(env);
    expect(result).toMatchObject({ level: 'ok', message: expect.stringContaining('wireguard-go v0.0.20250522 at ') });
    expect(result!.message).toContain(INSTALLED_WIREGUARD_GO_BIN);
  });
  it("only the system's (e.g. Debian's 0.0.20220316): warns and says how to build ours", async () => {
    const env = fakeEnv({
      ...base,
      exists: (f) => f === '/dev/net/tun',
      run: async () => ({ ok: true, stdout: 'wireguard-go v0.0.20220316\n' }),
    });
    expect((await checkWireGuard(env))[0]).toMatchObject({
      level: 'warn',
      message: expect.stringMatching(
        /wireguard-go v0\.0\.20220316 at \/usr\/bin\/wireguard-go.*npm run build:wireguard-go/,
      ),
    });
  });
});

describe('checkForwarding', () => {
  it('reads /proc/sys/net/ipv4/ip_forward', async () => {
    expect((await checkForwarding(fakeEnv({ readFile: () => '1\n' })))[0]!.level).toBe('ok');
    expect((await checkForwarding(fakeEnv({ readFile: () => '0\n' })))[0]).toMatchObject({
      level: 'warn',
      message: expect.stringContaining('full-tunnel'),
    });
    expect((await checkForwarding(fakeEnv()))[0]!.level).toBe('warn');
  });
});

describe('checkDns', () => {
  const domain = { GATEHOUSE_PUBLIC_DOMAIN: 'gate.example.com' };
  it('warns without a public domain; ok when it resolves here; warns elsewhere; fails when it does not resolve', async () => {
    expect((await checkDns(fakeEnv()))[0]!.level).toBe('warn');
    expect((await checkDns(fakeEnv({ lookup: async () => ['192.0.2.10'] }, domain)))[0]!.level).toBe('ok');
    const elsewhere = (await checkDns(fakeEnv({ lookup: async () => ['198.51.100.1'] }, domain)))[0]!;
    expect(elsewhere).toMatchObject({ level: 'warn', message: expect.stringContaining('198.51.100.1') });
    const missing = fakeEnv({ lookup: async () => Promise.reject(new Error('ENOTFOUND')) }, domain);
    expect((await checkDns(missing))[0]).toMatchObject({ level: 'fail', message: expect.stringContaining('A/AAAA') });
  });
});

describe('checkCaddy', () => {
  it('fails when missing, not runnable or without our module; ok with it', async () => {
    expect((await checkCaddy(fakeEnv()))[0]!.message).toContain('npm run build:caddy');
    const runs = (modules: string) =>
      fakeEnv({
        exists: (f) => f === '/opt/caddy',
        run: async (_bin, args) => ({ ok: true, stdout: args[0] === 'version' ? 'v2.11.9 h1:abc' : modules }),
      });
    expect((await checkCaddy(runs('http.handlers.file_server\n')))[0]!.level).toBe('fail');
    expect((await checkCaddy(runs('gatehouse\nhttp.handlers.gatehouse_guard\n')))[0]).toMatchObject({
      level: 'ok',
      message: expect.stringContaining('v2.11.9'),
    });
    const broken = fakeEnv({
      exists: () => true,
      run: async () => ({ ok: false, stdout: '', error: 'exec format error' }),
    });
    expect((await checkCaddy(broken))[0]!.message).toContain('exec format error');
  });
});

describe('checkDisk, checkClock, checkDataDir', () => {
  it('disk: fail under 100 MiB, warn under 1 GiB, measured at the nearest existing parent', async () => {
    const seen: string[] = [];
    const env = (bytes: number) =>
      fakeEnv({
        stat: (f) => (f === '/srv' ? { uid: 0, mode: 0o40755, isDirectory: true } : undefined),
        freeBytes: (dir) => {
          seen.push(dir);
          return bytes;
        },
      });
    expect((await checkDisk(env(50 * 1024 ** 2)))[0]!.level).toBe('fail');
    expect((await checkDisk(env(500 * 1024 ** 2)))[0]!.level).toBe('warn');
    expect((await checkDisk(env(5 * 1024 ** 3)))[0]!.level).toBe('ok');
    expect(seen).toContain('/srv');
  });

  it('clock: the time zone, and NTP from timedatectl when present', async () => {
    const withTimedatectl = (stdout: string) =>
      fakeEnv({
        which: async (b) => (b === 'timedatectl' ? '/usr/bin/timedatectl' : undefined),
        run: async () => ({ ok: true, stdout }),
      });
    expect((await checkClock(withTimedatectl('NTPSynchronized=yes\n')))[0]).toMatchObject({
      level: 'ok',
      message: expect.stringContaining('Europe/Berlin'),
    });
    expect((await checkClock(withTimedatectl('NTPSynchronized=no\n')))[0]!.level).toBe('warn');
    expect((await checkClock(fakeEnv()))[0]!.message).toContain('no timedatectl');
  });

  it('data dir: owner only and writable; secret.key 0600', async () => {
    const dir = (mode: number, uid = 0, keyMode?: number) =>
      fakeEnv({
        stat: (f) =>
          f === '/srv/gh'
            ? { uid, mode: 0o40000 | mode, isDirectory: true }
            : f === '/srv/gh/secret.key' && keyMode !== undefined
              ? { uid, mode: 0o100000 | keyMode, isDirectory: false }
              : undefined,
      });
    expect((await checkDataDir(dir(0o700, 0, 0o600)))[0]).toMatchObject({
      level: 'ok',
      message: expect.stringContaining('back it up'),
    });
    expect((await checkDataDir(dir(0o755)))[0]!.level).toBe('warn');
    expect((await checkDataDir(dir(0o700, 0, 0o644)))[0]).toMatchObject({
      level: 'fail',
      message: expect.stringContaining('chmod 600'),
    });
    expect((await checkDataDir(dir(0o700, 1000)))[0]).toMatchObject({
      level: 'fail',
      message: expect.stringContaining('chown'),
    });
    expect((await checkDataDir(fakeEnv({ writable: () => false })))[0]!.level).toBe('fail');
    expect((await checkDataDir(fakeEnv()))[0]).toMatchObject({
      level: 'ok',
      message: expect.stringContaining('first start'),
    });
  });
});

describe('runDoctor', () => {
  it('a check that throws is a failure line of its own; exit code 1 on any fail', async () => {
    const results = await runDoctor(fakeEnv(), [
      async () => [{ check: 'a', level: 'ok', message: 'fine' }],
      async function broken() {
        throw new Error('boom');
      },
    ]);
    expect(results[1]).toMatchObject({ check: 'broken', level: 'fail', message: expect.stringContaining('boom') });
    expect(doctorExitCode(results)).toBe(1);
    expect(doctorExitCode(results.slice(0, 1))).toBe(0);
    expect(formatResults(results).split('\n')[0]).toBe('ok   a       fine');
  });
});

describe('who holds a port (/proc)', () => {
  const tcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0',
    '   1: 0100007F:0BB8 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0',
  ].join('\n');
  const udp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
    '  10: 00000000:CA6C 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 0 2 0 0',
  ].join('\n');

  it('parses listening TCP and bound UDP sockets, ignoring connections', () => {
    expect(boundInodes(tcp, 3000, 'tcp')).toEqual([4242]);
    expect(boundInodes(udp, 51820, 'udp')).toEqual([0]);
    expect(boundInodes('garbage\nnot a table', 3000, 'tcp')).toEqual([]);
  });

  it('finds the process by its fd, cleans its command line; kernel sockets have no process', () => {
    const files: Record<string, string> = {
      '/proc/net/tcp': tcp,
      '/proc/net/udp': udp,
      '/proc/77/cmdline': 'python3\0-c\0print(1)\n\u001b[31mx\0',
    };
    const proc: ProcReader = {
      read: (f) => {
        if (files[f] === undefined) throw new Error('ENOENT');
        return files[f]!;
      },
      list: (dir) => (dir === '/proc' ? ['self', '1', '77'] : dir === '/proc/77/fd' ? ['0', '5'] : []),
      link: (f) => (f === '/proc/77/fd/5' ? 'socket:[4242]' : '/dev/null'),
    };
    expect(findPortHolder(3000, 'tcp', proc)).toEqual({ pid: 77, command: 'python3 -c print(1) [31mx' });
    expect(findPortHolder(51820, 'udp', proc)).toBe('kernel');
    expect(findPortHolder(4000, 'tcp', proc)).toBeUndefined();
  });
});
