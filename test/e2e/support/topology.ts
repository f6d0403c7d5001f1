import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Why the namespace tests cannot run here (printed with the skip), or undefined when they can. */
export async function namespaceSkipReason(tools: string[]): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root (network namespaces need CAP_NET_ADMIN); CI runs these as root';
  for (const tool of tools) {
    try {
      await run('sh', ['-c', 'command -v "$1"', 'sh', tool]);
    } catch {
      return `${tool} is missing (scripts/install.sh --test installs it)`;
    }
  }
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing (wireguard-go needs TUN)';
  return undefined;
}

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  log: () => string;
  /** Resolves when the output contains `text` (bounded). */
  waitFor: (text: string | RegExp, timeoutMs?: number) => Promise<void>;
  stop: (signal?: NodeJS.Signals) => Promise<void>;
}

/**
 * Network namespaces, links and processes for one test run, all named with a random suffix and all removed
 * by `destroy()` — which runs every step even when earlier ones fail, and is safe to call twice. Every
 * process keeps its output so a failing scenario can print the logs of the processes involved.
 */
export class Topology {
  readonly id = randomBytes(2).toString('hex');
  private readonly namespaces: string[] = [];
  private readonly processes: ManagedProcess[] = [];
  private readonly extraCleanup: (() => Promise<unknown>)[] = [];

  ns(role: string): string {
    return `gh${role}-${this.id}`;
  }

  async sh(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    const child = execFile(args[0]!, args.slice(1), { timeout: opts.timeoutMs ?? 20_000, maxBuffer: 16 * 1024 * 1024 });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      child.stdout?.on('data', (d) => (out += d));
      child.stderr?.on('data', (d) => (err += d));
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')} exited ${code}: ${err.trim()}`)),
      );
    });
  }

  exec(role: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    return this.sh(['ip', 'netns', 'exec', this.ns(role), ...args], opts);
  }

  async addNamespace(role: string): Promise<string> {
    const name = this.ns(role);
    await this.sh(['ip', 'netns', 'add', name]);
    this.namespaces.push(name);
    await this.sh(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** A veth pair between two namespaces with an address on each end (CIDR notation). */
  async link(a: { role: string; dev: string; cidr?: string }, b: { role: string; dev: string; cidr?: string }) {
    await this.sh([
      'ip',
      '-n',
      this.ns(a.role),
      'link',
      'add',
      a.dev,
      'type',
      'veth',
      'peer',
      'name',
      b.dev,
      'netns',
      this.ns(b.role),
    ]);
    for (const end of [a, b]) {
      if (end.cidr) await this.sh(['ip', '-n', this.ns(end.role), 'address', 'add', end.cidr, 'dev', end.dev]);
      await this.sh(['ip', '-n', this.ns(end.role), 'link', 'set', end.dev, 'up']);
    }
  }

  /** A bridge inside `role`'s namespace (a switch) that other namespaces plug into with `plug`. */
  async bridge(role: string, dev: string) {
    await this.sh(['ip', '-n', this.ns(role), 'link', 'add', dev, 'type', 'bridge']);
    await this.sh(['ip', '-n', this.ns(role), 'link', 'set', dev, 'up']);
  }

  async plug(switchRole: string, bridgeDev: string, host: { role: string; dev: string; cidr: string }) {
    const port = `${host.dev}p`;
    await this.link({ role: switchRole, dev: port }, { role: host.role, dev: host.dev, cidr: host.cidr });
    await this.sh(['ip', '-n', this.ns(switchRole), 'link', 'set', port, 'master', bridgeDev]);
  }

  onDestroy(step: () => Promise<unknown>) {
    this.extraCleanup.push(step);
  }

  /**
   * A WireGuard interface a test brings up in `role`: deleted on destroy, and its UAPI socket with it.
   * wireguard-go removes /var/run/wireguard/<name>.sock only when it stops cleanly; one killed with SIGKILL
   * (a test killing an edge, or the sweep of a namespace's processes) leaves it behind in the host's directory.
   */
  ownWireguardInterface(role: string, ifname: string) {
    this.onDestroy(async () => {
      try {
        await this.exec(role, ['ip', 'link', 'del', ifname]);
      } finally {
        rmSync(`/var/run/wireguard/${ifname}.sock`, { force: true });
      }
    });
  }

  spawn(
    role: string | undefined,
    name: string,
    command: string,
    args: string[],
    env: Record<string, string> = {},
  ): ManagedProcess {
    const full = role ? ['netns', 'exec', this.ns(role), command, ...args] : undefined;
    const child = spawn(full ? 'ip' : command, full ?? args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    const waiters = new Set<() => void>();
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.length > 2_000_000) output = output.slice(-1_000_000);
      for (const w of waiters) w();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', (err) => onData(Buffer.from(`spawn error: ${err.message}\n`)));
    const proc: ManagedProcess = {
      name,
      child,
      log: () => output,
      waitFor: (text, timeoutMs = 30_000) =>
        new Promise((resolve, reject) => {
          const check = () => {
            if (typeof text === 'string' ? output.includes(text) : text.test(output)) {
              cleanup();
              resolve();
            } else if (child.exitCode !== null) {
              cleanup();
              reject(new Error(`${name} exited (${child.exitCode}) before printing ${text}\n${output.slice(-4000)}`));
            }
          };
          const timer = setTimeout(() => {
            cleanup();
            reject(new Error(`${name} did not print ${text} within ${timeoutMs} ms\n${output.slice(-4000)}`));
          }, timeoutMs);
          const cleanup = () => {
            clearTimeout(timer);
            waiters.delete(check);
          };
          waiters.add(check);
          child.once('exit', check);
          check();
        }),
      stop: async (signal = 'SIGTERM') => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        try {
          process.kill(-child.pid!, signal);
        } catch {
          child.kill(signal);
        }
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {}
        }, 8000);
        await exited;
        clearTimeout(timer);
      },
    };
    this.processes.push(proc);
    return proc;
  }

  /** The last lines of every process's output, for a failure report. */
  logs(lines = 60): string {
    return this.processes
      .map(
        (p) =>
          `----- ${p.name} (exit ${p.child.exitCode ?? p.child.signalCode ?? 'running'}) -----\n${p.log().split('\n').slice(-lines).join('\n')}`,
      )
      .join('\n');
  }

  async destroy(): Promise<void> {
    const steps: (() => Promise<unknown>)[] = [
      ...this.processes.map((p) => () => p.stop()),
      ...this.extraCleanup,
      ...this.namespaces.map((ns) => () => this.sh(['ip', 'netns', 'del', ns])),
    ];
    this.processes.length = 0;
    this.extraCleanup.length = 0;
    this.namespaces.length = 0;
    for (const step of steps) {
      try {
        await step();
      } catch {
        // Already gone; keep cleaning.
      }
    }
  }
}
