import net from 'node:net';
import type { TargetStatus } from '@gatehouse/protocol';
import type { TargetGuard } from './target-guard.ts';

/**
 * TCP reachability of each target: connect, measure, close. UDP targets are left out: without an
 * application protocol there is no answer to wait for, and "no ICMP error" proves nothing.
 * At most `concurrency` dials at once, each bounded by `timeoutMs`.
 */
export async function probeTargets(
  targets: { routeId: number; protocol: 'tcp' | 'udp'; host: string; port: number }[],
  opts: { guard: TargetGuard; timeoutMs?: number; concurrency?: number },
): Promise<TargetStatus[]> {
  const queue = targets.filter((t) => t.protocol === 'tcp');
  const results: TargetStatus[] = [];
  const worker = async () => {
    for (let t = queue.shift(); t; t = queue.shift())
      results.push(await probeOne(t, opts.guard, opts.timeoutMs ?? 2_000));
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, queue.length) }, worker));
  return results.sort((a, b) => a.route_id - b.route_id);
}

async function probeOne(
  t: { routeId: number; host: string; port: number },
  guard: TargetGuard,
  timeoutMs: number,
): Promise<TargetStatus> {
  let address: string;
  try {
    address = await guard(t.host, t.port);
  } catch (err) {
    return { route_id: t.routeId, reachable: false, error: (err as Error).message };
  }
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port: t.port });
    const finish = (status: TargetStatus) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(status);
    };
    const timer = setTimeout(() => finish({ route_id: t.routeId, reachable: false, error: 'timeout' }), timeoutMs);
    socket.once('connect', () =>
      finish({
        route_id: t.routeId,
        reachable: true,
        latency_ms: Math.round((performance.now() - started) * 100) / 100,
      }),
    );
    socket.once('error', (err: NodeJS.ErrnoException) =>
      finish({ route_id: t.routeId, reachable: false, error: err.code ?? err.message }),
    );
  });
}
