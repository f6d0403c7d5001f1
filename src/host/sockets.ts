import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export type SocketProtocol = 'tcp' | 'udp';

/** A process that holds a socket: what an operator needs to find and stop it. */
export interface SocketHolder {
  pid: number;
  /** The command line (arguments joined by spaces), else the short process name. */
  command: string;
}

/** What the holder lookup reads; the real /proc unless a test gives another. */
export interface ProcReader {
  read(file: string): string;
  list(dir: string): string[];
  link(file: string): string;
}

export const realProc: ProcReader = {
  read: (file) => readFileSync(file, 'utf8'),
  list: (dir) => readdirSync(dir),
  link: (file) => readlinkSync(file),
};

/** TCP state 0A is LISTEN; UDP sockets have no listen state, 07 (CLOSE) is a bound one. */
const BOUND_STATE: Record<SocketProtocol, string> = { tcp: '0A', udp: '07' };

/**
 * The socket inodes bound to `port` in one /proc/net/{tcp,tcp6,udp,udp6} table. Columns: sl, local
 * address (hex ip:hex port), remote address, state, queues, …, uid, timeout, inode. Inode 0 is a socket
 * the kernel owns (e.g. a WireGuard interface's), which no process holds.
 */
export function boundInodes(table: string, port: number, protocol: SocketProtocol): number[] {
  const inodes: number[] = [];
  for (const line of table.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 10) continue;
    const localPort = Number.parseInt(cols[1]!.split(':')[1] ?? '', 16);
    if (localPort !== port || cols[3] !== BOUND_STATE[protocol]) continue;
    const inode = Number(cols[9]);
    if (Number.isInteger(inode)) inodes.push(inode);
  }
  return inodes;
}

/** At most this many processes are looked at: the lookup is a hint in an error message, not a scan. */
const MAX_PROCESSES = 5000;

/**
 * Who holds `port`, best effort: the socket inodes from /proc/net, then the process with a file descriptor
 * on one of them. `kernel` when only kernel-owned sockets hold it; undefined when nothing is found (another
 * network namespace, or /proc/<pid>/fd not readable without root).
 */
export function findPortHolder(
  port: number,
  protocol: SocketProtocol,
  proc: ProcReader = realProc,
): SocketHolder | 'kernel' | undefined {
  const inodes = new Set<number>();
  for (const family of ['', '6']) {
    try {
      for (const inode of boundInodes(proc.read(`/proc/net/${protocol}${family}`), port, protocol)) inodes.add(inode);
    } catch {
      // no IPv6, or no /proc: nothing to say
    }
  }
  if (inodes.size === 0) return undefined;
  const wanted = new Set([...inodes].filter((i) => i !== 0).map((i) => `socket:[${i}]`));
  if (wanted.size === 0) return 'kernel';
  let pids: string[];
  try {
    pids = proc.list('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  for (const pid of pids.slice(0, MAX_PROCESSES)) {
    let fds: string[];
    try {
      fds = proc.list(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = proc.link(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (wanted.has(target)) return { pid: Number(pid), command: processCommand(Number(pid), proc) };
    }
  }
  return undefined;
}

/** The command line of `pid`, shortened for a one-line message; the process name when that is empty. */
export function processCommand(pid: number, proc: ProcReader = realProc): string {
  try {
    // One line, printable: a command line may hold newlines or terminal escapes.
    const cmdline = proc
      .read(`/proc/${pid}/cmdline`)
      .split('\0')
      .filter(Boolean)
      .join(' ')
      .replace(/[\s\p{Cc}]+/gu, ' ')
      .trim();
    if (cmdline) return cmdline.length > 120 ? `${cmdline.slice(0, 117)}...` : cmdline;
  } catch {}
  try {
    return proc
      .read(`/proc/${pid}/comm`)
      .replace(/\p{Cc}/gu, ' ')
      .trim();
  } catch {
    return 'unknown';
  }
}
