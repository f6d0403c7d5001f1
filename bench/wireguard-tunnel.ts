// Benchmark (not a test): one iperf3 TCP stream through a WireGuard tunnel between two network namespaces,
// with our wireguard-go (bin/wireguard-go, pinned in wireguard-go/go.mod) against Debian's
// (/usr/bin/wireguard-go), both tunnels up side by side over the same veth and measured in interleaved
// rounds of the same run (median of per-round ratios). Namespaces are this run's own, deleted in `finally`.
// Run: npx tsx --conditions=gatehouse-source bench/wireguard-tunnel.ts [--quick]   (root, iperf3, wg)
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { generateKeyPair } from '../src/wireguard/keys.ts';
import { INSTALLED_WIREGUARD_GO_BIN, wireGuardGoVersion } from '../src/wireguard/userspace.ts';
import { median, quick, report } from './lib/report.ts';

const run = promisify(execFile);
const ROUNDS = Number(process.env.ROUNDS ?? (quick ? 3 : 5));
const SECONDS = Number(process.env.SECONDS ?? (quick ? 3 : 5));
const DEBIAN = process.env.DEBIAN_WIREGUARD_GO ?? '/usr/bin/wireguard-go';
const log = (line: string) => console.error(`[wg-tunnel] ${line}`);

const id = randomBytes(3).toString('hex');
const ns = { a: `gh-wgt-${id}-a`, b: `gh-wgt-${id}-b` };
const inNs = (n: string, cmd: string, args: string[], timeout = 20_000) =>
  run('ip', ['netns', 'exec', n, cmd, ...args], { timeout, maxBuffer: 16 * 1024 * 1024 });

type Kind = 'ours' | 'debian';
const kinds: Record<Kind, { bin: string; net: number; port: number }> = {
  ours: { bin: INSTALLED_WIREGUARD_GO_BIN, net: 1, port: 51901 },
  debian: { bin: DEBIAN, net: 2, port: 51902 },
};
const ifname = (k: Kind, side: 'a' | 'b') => `gt${k[0]}${side}${id}`;

async function tunnel(kind: Kind, dir: string): Promise<void> {
  const { bin, net, port } = kinds[kind];
  const keys = { a: generateKeyPair(), b: generateKeyPair() };
  for (const side of ['a', 'b'] as const) {
    const other = side === 'a' ? 'b' : 'a';
    const name = ifname(kind, side);
    await inNs(ns[side], bin, [name]);
    const conf = path.join(dir, `${name}.conf`);
    writeFileSync(
      conf,
      `[Interface]\nPrivateKey = ${keys[side].privateKey}\nListenPort = ${port}\n\n[Peer]\nPublicKey = ${keys[other].publicKey}\n` +
        `AllowedIPs = 10.79.${net}.${other === 'a' ? 1 : 2}/32\nEndpoint = 192.168.79.${other === 'a' ? 1 : 2}:${port}\n`,
      { mode: 0o600 },
    );
    await inNs(ns[side], 'wg', ['setconf', name, conf]);
    await inNs(ns[side], 'ip', ['address', 'add', `10.79.${net}.${side === 'a' ? 1 : 2}/24`, 'dev', name]);
    await inNs(ns[side], 'ip', ['link', 'set', 'dev', name, 'up']);
  }
}

async function iperf(kind: Kind): Promise<number> {
  const { net } = kinds[kind];
  const { stdout } = await inNs(
    ns.a,
    'iperf3',
    [
      '-c',
      `10.79.${net}.2`,
      '-p',
      String(5300 + net),
      '-t',
      String(SECONDS),
      '-O',
      '1',
      '-J',
      '--connect-timeout',
      '3000',
    ],
    (SECONDS + 20) * 1000,
  );
  return (
    (JSON.parse(stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second /
    1e9
  );
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces)');
  for (const bin of [INSTALLED_WIREGUARD_GO_BIN, DEBIAN])
    if (!existsSync(bin))
      throw new Error(`${bin} is missing (npm run build:wireguard-go; apt-get install wireguard-go)`);
  const versions = { ours: await wireGuardGoVersion(kinds.ours.bin), debian: await wireGuardGoVersion(DEBIAN) };
  log(
    `ours ${versions.ours} (${kinds.ours.bin}) vs Debian's ${versions.debian} (${DEBIAN}); ${ROUNDS} rounds of ${SECONDS} s`,
  );
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gh-wgt-'));
  const servers: ReturnType<typeof spawn>[] = [];
  try {
    await run('ip', ['netns', 'add', ns.a]);
    await run('ip', ['netns', 'add', ns.b]);
    await run('ip', [
      'link',
      'add',
      `gva${id}`,
      'netns',
      ns.a,
      'type',
      'veth',
      'peer',
      'name',
      `gvb${id}`,
      'netns',
      ns.b,
    ]);
    for (const [side, n] of [
      ['a', 1],
      ['b', 2],
    ] as const) {
      await inNs(ns[side], 'ip', ['address', 'add', `192.168.79.${n}/24`, 'dev', `gv${side}${id}`]);
      await inNs(ns[side], 'ip', ['link', 'set', 'dev', `gv${side}${id}`, 'up']);
      await inNs(ns[side], 'ip', ['link', 'set', 'dev', 'lo', 'up']);
    }
    await tunnel('ours', dir);
    await tunnel('debian', dir);
    for (const kind of ['ours', 'debian'] as const) {
      const net = kinds[kind].net;
      const server = spawn(
        'ip',
        ['netns', 'exec', ns.b, 'iperf3', '-s', '-B', `10.79.${net}.2`, '-p', String(5300 + net)],
        {
          stdio: 'ignore',
        },
      );
      servers.push(server);
    }
    await new Promise((r) => setTimeout(r, 500));
    const ratios: number[] = [];
    const got: Record<Kind, number[]> = { ours: [], debian: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const order: Kind[] = r % 2 === 0 ? ['ours', 'debian'] : ['debian', 'ours'];
      for (const k of order) got[k].push(await iperf(k));
      ratios.push(got.ours.at(-1)! / got.debian.at(-1)!);
      log(
        `round ${r + 1}: ours ${got.ours.at(-1)!.toFixed(2)} Gbit/s, Debian's ${got.debian.at(-1)!.toFixed(2)} Gbit/s`,
      );
    }
    const ours = median(got.ours);
    const debian = median(got.debian);
    const ratio = median(ratios);
    console.log(
      `WireGuard tunnel, one iperf3 stream: ours (${versions.ours}) ${ours.toFixed(2)} Gbit/s, Debian's (${versions.debian}) ` +
        `${debian.toFixed(2)} Gbit/s, ratio ${ratio.toFixed(2)} (median of per-round ratios, ${ROUNDS} rounds)`,
    );
    report([
      {
        measure: `WireGuard tunnel, 1 TCP stream (ours ${versions.ours})`,
        unit: 'Gbit/s',
        ours,
        peer: debian,
        peerName: `Debian wireguard-go ${versions.debian}`,
        ratio,
        goal: 'ratio > 1 (a faster tunnel)',
        met: ratio > 1,
      },
    ]);
  } finally {
    for (const s of servers) s.kill();
    for (const k of ['ours', 'debian'] as const)
      for (const side of ['a', 'b'] as const)
        await inNs(ns[side], 'ip', ['link', 'del', 'dev', ifname(k, side)]).catch(() => {});
    await run('ip', ['netns', 'del', ns.a]).catch(() => {});
    await run('ip', ['netns', 'del', ns.b]).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
