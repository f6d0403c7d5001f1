// Benchmark (not a test): one iperf3 TCP stream from the `client` namespace through the whole Gatehouse
// path against a bare WireGuard tunnel across the same namespaces, measured in the same run, in
// interleaved rounds (medians). Needs root, wireguard-go, iperf3 and bin/caddy (npm run build:caddy).
//   full: client ─veth/bridge─▶ server: Caddy L4 route (gatehouse_guard + gatehouse_routes) ─▶ server's
//         WireGuard ─▶ gw: gateway agent's TCP forwarder ─veth─▶ lan: iperf3 -s
//   bare: client ─veth/bridge─▶ server: plain IP forwarding ─▶ server's WireGuard ─▶ gw: iperf3 -s on the
//         gateway's tunnel address (no proxy, no agent; one veth hop shorter than the full path)
// The world is test/e2e/support/world.ts (namespaces, wireguard-go, `gatehouse server` with Caddy, the
// gateway agent), configured through the REST API; torn down in `finally`, even on failure.
// Also prints each process's CPU use (share of one core) during the runs: that is what dominates.
// Run: npx tsx --conditions=gatehouse-source bench/e2e-throughput.ts   (ROUNDS=5, SECONDS=5)
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { namespaceSkipReason } from '../test/e2e/support/topology.ts';
import { ADDR, buildWorld, type World } from '../test/e2e/support/world.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { median as medianOf, quick, report } from './lib/report.ts';

const run = promisify(execFile);
const ROUNDS = Number(process.env.ROUNDS ?? (quick ? 3 : 5));
const SECONDS = Number(process.env.SECONDS ?? (quick ? 3 : 5));
const FULL_PORT = 5201; // the server's public L4 port, and the lan iperf3's port
const BARE_PORT = 5202; // iperf3 on the gateway's tunnel address
const log = (line: string) => console.error(`[e2e-bench] ${line}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** CPU seconds (user + system) per pid, from /proc. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/** The processes of this world worth watching, found by their command lines (each names this run's id or dir). */
function watched(world: World): Record<string, number[]> {
  const id = world.topo.id;
  const groups: Record<string, number[]> = {
    'wireguard-go (server)': [],
    'wireguard-go (gw)': [],
    caddy: [],
    'gateway agent': [],
  };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const pid = Number(entry);
    if (argv[0]?.endsWith('wireguard-go') && argv.includes(`wgs${id}`)) groups['wireguard-go (server)']!.push(pid);
    else if (argv[0]?.endsWith('wireguard-go') && argv.includes(`wgg${id}`)) groups['wireguard-go (gw)']!.push(pid);
    else if (argv.includes('run') && argv.some((a) => a.startsWith(world.dir)) && argv[0]?.endsWith('caddy'))
      groups.caddy!.push(pid);
    else if (argv.includes('gateway') && argv.some((a) => a.startsWith(world.dir))) groups['gateway agent']!.push(pid);
  }
  return groups;
}

type Sample = { gbps: number; retransmits: number; cpu: Record<string, number> };

async function iperf(world: World, host: string, port: number, groups: Record<string, number[]>): Promise<Sample> {
  const before = Object.fromEntries(
    Object.entries(groups).map(([k, pids]) => [k, pids.reduce((s, p) => s + cpuSeconds(p), 0)]),
  );
  const t0 = performance.now();
  // -O 1: the first second (slow start) is left out of the figures.
  const { stdout } = await run(
    'ip',
    [
      'netns',
      'exec',
      world.topo.ns('client'),
      'iperf3',
      '-c',
      host,
      '-p',
      String(port),
      '-t',
      String(SECONDS),
      '-O',
      '1',
      '-J',
      '--connect-timeout',
      '3000',
    ],
    { timeout: (SECONDS + 20) * 1000, maxBuffer: 16 * 1024 * 1024 },
  );
  const wall = (performance.now() - t0) / 1000;
  const cpu = Object.fromEntries(
    Object.entries(groups).map(([k, pids]) => [k, (pids.reduce((s, p) => s + cpuSeconds(p), 0) - before[k]!) / wall]),
  );
  const json = JSON.parse(stdout) as {
    end: { sum_received: { bits_per_second: number }; sum_sent: { retransmits?: number } };
  };
  return {
    gbps: json.end.sum_received.bits_per_second / 1e9,
    retransmits: json.end.sum_sent.retransmits ?? 0,
    cpu,
  };
}

async function main(): Promise<void> {
  const skip = await namespaceSkipReason(['ip', 'wireguard-go', 'wg', 'iperf3', 'sshd', 'openssl', 'ssh-keygen']);
  if (skip) {
    console.log(`e2e-throughput: cannot run here: ${skip}`);
    process.exitCode = 2;
    return;
  }
  let world: World | undefined;
  const stop = () => void world?.destroy().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    world = await buildWorld(log);
    const w = world;
    const id = w.topo.id;
    const gwTunnel = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(
      await w.topo.exec('gw', ['ip', '-4', '-o', 'address', 'show', 'dev', `wgg${id}`]),
    )?.[1];
    if (!gwTunnel) throw new Error('the gateway has no tunnel address');

    log('starting iperf3 servers (lan, and gw on its tunnel address)');
    const lanIperf = w.topo.spawn('lan', 'iperf3-lan', 'iperf3', [
      '-s',
      '--forceflush',
      '-B',
      ADDR.lan,
      '-p',
      String(FULL_PORT),
    ]);
    const gwIperf = w.topo.spawn('gw', 'iperf3-gw', 'iperf3', [
      '-s',
      '--forceflush',
      '-B',
      gwTunnel,
      '-p',
      String(BARE_PORT),
    ]);
    await lanIperf.waitFor('Server listening', 10_000);
    await gwIperf.waitFor('Server listening', 10_000);

    log('full path: an L4 route on the server, to the LAN iperf3 through the gateway (REST API)');
    const res = await w.api('POST', '/api/v1/routes', {
      type: 'l4',
      name: 'iperf3',
      target_kind: 'gateway',
      gateway_id: w.gateway.id,
      target_lan_host: ADDR.lan,
      target_lan_port: FULL_PORT,
      l4_listen_port: FULL_PORT,
    });
    if (res.status !== 201) throw new Error(`creating the route failed: ${res.status} ${res.text}`);

    log('bare path: client → server (IP forwarding) → WireGuard → gw tunnel address');
    await w.topo.exec('server', ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    await w.topo.exec('client', ['ip', 'route', 'add', '10.88.0.0/24', 'via', ADDR.server]);
    // The gw side was set up from the downloaded wg-quick file (not managed by the server): let the
    // server peer carry the client's address and send replies to it back through the tunnel.
    const allowed = (await w.topo.exec('gw', ['wg', 'show', `wgg${id}`, 'allowed-ips'])).trim().split('\n');
    if (allowed.length !== 1) throw new Error(`expected one peer on the gateway, got:\n${allowed.join('\n')}`);
    const [serverKey, ...ips] = allowed[0]!.split(/\s+/);
    await w.topo.exec('gw', [
      'wg',
      'set',
      `wgg${id}`,
      'peer',
      serverKey!,
      'allowed-ips',
      [...ips, `${ADDR.client}/32`].join(','),
    ]);
    await w.topo.exec('gw', ['ip', 'route', 'add', `${ADDR.client}/32`, 'dev', `wgg${id}`]);

    const groups = watched(w);
    for (const [k, pids] of Object.entries(groups)) if (pids.length === 0) log(`warning: no process found for ${k}`);
    // Both paths answer before measuring (the agent applies the route asynchronously).
    for (const [name, host, port] of [
      ['full', ADDR.server, FULL_PORT],
      ['bare', gwTunnel, BARE_PORT],
    ] as const) {
      await waitFor(
        `${name} path answering`,
        async () => {
          try {
            const { stdout } = await run(
              'ip',
              ['netns', 'exec', w.topo.ns('client'), 'iperf3', '-c', host, '-p', String(port), '-t', '1', '-J'],
              { timeout: 15_000 },
            );
            return JSON.parse(stdout).end?.sum_received ? true : undefined;
          } catch {
            return undefined;
          }
        },
        30_000,
        500,
      );
    }

    const samples: Record<'full' | 'bare', Sample[]> = { full: [], bare: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const order: ('full' | 'bare')[] = r % 2 === 0 ? ['bare', 'full'] : ['full', 'bare'];
      for (const kind of order) {
        const s =
          kind === 'full'
            ? await iperf(w, ADDR.server, FULL_PORT, groups)
            : await iperf(w, gwTunnel, BARE_PORT, groups);
        samples[kind].push(s);
        log(
          `round ${r + 1}/${ROUNDS} ${kind}: ${s.gbps.toFixed(3)} Gbit/s, ${s.retransmits} retransmits; cpu ` +
            Object.entries(s.cpu)
              .map(([k, v]) => `${k} ${(v * 100).toFixed(0)}%`)
              .join(', '),
        );
      }
    }

    const summary = (ss: Sample[]) => ({
      gbit_per_s: Math.round(median(ss.map((s) => s.gbps)) * 1000) / 1000,
      retransmits_median: median(ss.map((s) => s.retransmits)),
      cpu_percent_of_one_core_median: Object.fromEntries(
        Object.keys(ss[0]!.cpu).map((k) => [k, Math.round(median(ss.map((s) => s.cpu[k]!)) * 100)]),
      ),
    });
    const full = summary(samples.full);
    const bare = summary(samples.bare);
    const perRound = samples.full.map((s, i) => (s.gbps / samples.bare[i]!.gbps).toFixed(2)).join(' ');
    const ratio = medianOf(samples.full.map((s, i) => s.gbps / samples.bare[i]!.gbps));
    const cpuText = (c: Record<string, number>) =>
      Object.entries(c)
        .map(([k, v]) => `${k} ${v}%`)
        .join(', ');
    report([
      {
        measure: 'whole path, 1 TCP stream (Caddy L4 → WireGuard → agent)',
        unit: 'Gbit/s',
        ours: full.gbit_per_s,
        peer: bare.gbit_per_s,
        peerName: 'bare WireGuard tunnel',
        ratio,
        goal: 'ratio ≥ 0.9',
        met: ratio >= 0.9,
        note: `CPU % of one core, full: ${cpuText(full.cpu_percent_of_one_core_median)}; bare: ${cpuText(bare.cpu_percent_of_one_core_median)}`,
      },
    ]);
    console.log(
      JSON.stringify(
        { rounds: ROUNDS, seconds_per_run: SECONDS, streams: 1, cores: (await cores()) ?? null, full, bare },
        null,
        2,
      ),
    );
    const top = (c: Record<string, number>) =>
      Object.entries(c)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}%`)
        .join(', ');
    console.log(
      `full path ${full.gbit_per_s} Gbit/s vs bare WireGuard ${bare.gbit_per_s} Gbit/s: ratio ` +
        `${(full.gbit_per_s / bare.gbit_per_s).toFixed(2)} (goal >= 0.9; per round: ${perRound}; medians of ${ROUNDS} rounds). ` +
        `CPU (share of one core) full: ${top(full.cpu_percent_of_one_core_median)}; bare: ${top(bare.cpu_percent_of_one_core_median)} ` +
        `(iperf3 itself not shown). Retransmits differ in kind: the bare path is one TCP flow end to end ` +
        `through WireGuard (wireguard-go drops when its queues fill), the full path's are only the client → Caddy leg ` +
        `(Caddy and the agent each open their own connection). wireguard-go runs in user space and, on this machine's cores shared by every ` +
        `process of the path, bounds both paths; the ratio is the figure, not the absolute rate.`,
    );
  } finally {
    await world?.destroy();
  }
}

async function cores(): Promise<number | undefined> {
  try {
    return Number((await run('nproc')).stdout.trim());
  } catch {
    return undefined;
  }
}

await main();
