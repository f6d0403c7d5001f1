import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger.ts';
import { CaddyAdminClient } from './admin-client.ts';

export type CaddyState = 'stopped' | 'starting' | 'running' | 'restarting' | 'failed';

export interface SupervisorOptions {
  bin: string;
  /** Where Caddy keeps certificates and the gatehouse state (XDG_DATA_HOME/caddy). */
  dataDir: string;
  adminSocket: string;
  staticConfig: Record<string, unknown>;
  logger: Logger;
  /** First restart delay; doubles per crash up to `maxBackoffMs`, reset after `stableAfterMs` of uptime. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  stableAfterMs?: number;
  readyTimeoutMs?: number;
}

/**
 * Runs the Caddy binary and keeps it running: writes the static config, spawns Caddy with it, waits for
 * the admin socket, restarts it with exponential backoff when it dies, and stops it on `stop()`.
 *
 * Caddy's output goes to a log file, not a pipe to us: a Go program dies of SIGPIPE when it writes to a
 * closed stdout, and the data plane must not die because the control plane did. Emits `ready` after every
 * (re)start, which is when the reconciler pushes the snapshot again.
 */
export class CaddySupervisor extends EventEmitter {
  readonly admin: CaddyAdminClient;
  private child: ChildProcess | undefined;
  private adoptedPid: number | undefined;
  private adoptTimer: NodeJS.Timeout | undefined;
  private stateValue: CaddyState = 'stopped';
  private stopping = false;
  private restarts = 0;
  private crashStreak = 0;
  private lastError: string | undefined;
  private startedAt = 0;
  private readonly configPath: string;
  private readonly pidPath: string;
  private readonly logPath: string;

  constructor(private readonly opts: SupervisorOptions) {
    super();
    this.admin = new CaddyAdminClient(opts.adminSocket);
    const dir = path.dirname(opts.adminSocket);
    this.configPath = path.join(dir, 'caddy.json');
    this.pidPath = path.join(dir, 'caddy.pid');
    this.logPath = path.join(dir, 'caddy.log');
  }

  get state(): CaddyState {
    return this.stateValue;
  }

  status() {
    return {
      state: this.stateValue,
      pid: this.adoptedPid ?? this.child?.pid,
      restarts: this.restarts,
      detail: this.lastError,
      log: this.logPath,
    };
  }

  async start(): Promise<void> {
    if (!existsSync(this.opts.bin)) {
      this.stateValue = 'failed';
      this.lastError = `Caddy binary not found at ${this.opts.bin} (run: npm run build:caddy)`;
      throw new Error(this.lastError);
    }
    const dir = path.dirname(this.opts.adminSocket);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    mkdirSync(this.opts.dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(this.configPath, JSON.stringify(this.opts.staticConfig, null, 2), { mode: 0o600 });
    this.stopping = false;
    if (await this.adoptRunning()) return;
    await this.spawnOnce();
  }

  /**
   * Stops supervising without stopping Caddy (it keeps serving; the next supervisor adopts it). What a
   * control plane that exits for an upgrade does; a killed one leaves the same state behind.
   */
  release(): void {
    this.stopping = true;
    clearInterval(this.adoptTimer);
    this.adoptTimer = undefined;
    this.child?.removeAllListeners('exit');
    this.child?.unref();
  }

  /** Stops Caddy: SIGTERM, then SIGKILL after `graceMs`. Resolves when the process is gone. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    if (this.adoptedPid !== undefined) {
      await this.stopAdopted(graceMs);
      return;
    }
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.stateValue = 'stopped';
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.signal(child, 'SIGTERM');
    const timer = setTimeout(() => this.signal(child, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    this.stateValue = 'stopped';
    rmSync(this.pidPath, { force: true });
  }

  private signal(child: ChildProcess, sig: NodeJS.Signals) {
    try {
      // Caddy runs in its own process group (detached); signal the group so nothing it started survives.
      process.kill(-child.pid!, sig);
    } catch {
      child.kill(sig);
    }
  }

  /** The pid in the pid file when it is a Caddy running our config file, else undefined. */
  private previousCaddy(): number | undefined {
    if (!existsSync(this.pidPath)) return undefined;
    const pid = Number(readFileSync(this.pidPath, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1) return undefined;
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.configPath) ? pid : undefined;
    } catch {
      return undefined; // not running any more
    }
  }

  /**
   * A Caddy left running by a control plane that was killed or restarted is still serving traffic: when it
   * runs exactly our static config, keep it (the data plane never notices the control plane restarting) and
   * watch its pid; otherwise it holds our ports with the wrong config, so it goes.
   */
  private async adoptRunning(): Promise<boolean> {
    const pid = this.previousCaddy();
    if (pid === undefined) {
      rmSync(this.pidPath, { force: true });
      return false;
    }
    try {
      const { config } = await this.admin.config();
      if (stableJson(config) === stableJson(this.opts.staticConfig)) {
        this.adoptedPid = pid;
        this.startedAt = Date.now();
        this.stateValue = 'running';
        this.opts.logger.info({ pid }, 'adopted the running Caddy (same static config); traffic was never interrupted');
        this.watchAdopted(pid);
        this.emit('ready');
        return true;
      }
    } catch {
      // Not answering: treat like a wrong config.
    }
    this.opts.logger.warn({ pid }, 'stopping a Caddy left over from an earlier run (its config differs)');
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
    await waitUntil(() => !alive(pid), 5000);
    rmSync(this.pidPath, { force: true });
    return false;
  }

  private watchAdopted(pid: number) {
    this.adoptTimer = setInterval(() => {
      if (alive(pid)) return;
      clearInterval(this.adoptTimer);
      this.adoptTimer = undefined;
      this.adoptedPid = undefined;
      if (this.stopping) return;
      this.scheduleRestart(null, 'SIGKILL');
    }, 250);
    this.adoptTimer.unref();
  }

  private async stopAdopted(graceMs: number) {
    const pid = this.adoptedPid!;
    clearInterval(this.adoptTimer);
    this.adoptTimer = undefined;
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {}
    }
    if (!(await waitUntil(() => !alive(pid), graceMs))) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {}
      await waitUntil(() => !alive(pid), 2000);
    }
    this.adoptedPid = undefined;
    this.stateValue = 'stopped';
    rmSync(this.pidPath, { force: true });
  }

  private async spawnOnce(): Promise<void> {
    this.stateValue = this.restarts > 0 ? 'restarting' : 'starting';
    rmSync(this.opts.adminSocket, { force: true });
    const logFd = openSync(this.logPath, 'a', 0o600);
    const parentData = path.dirname(this.opts.dataDir);
    const child = spawn(this.opts.bin, ['run', '--config', this.configPath], {
      stdio: ['ignore', logFd, logFd],
      detached: true,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: parentData,
        // Caddy stores its data in $XDG_DATA_HOME/caddy: certificates and the gatehouse state live in our data dir.
        XDG_DATA_HOME: parentData,
        XDG_CONFIG_HOME: parentData,
      },
    });
    closeSync(logFd);
    this.child = child;
    this.startedAt = Date.now();
    writeFileSync(this.pidPath, String(child.pid), { mode: 0o600 });
    child.on('error', (err) => {
      this.lastError = err.message;
      this.opts.logger.error({ err }, 'caddy could not be started');
    });
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    this.opts.logger.info({ pid: child.pid, log: this.logPath }, 'caddy started');
    await this.waitReady(child);
  }

  private async waitReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + (this.opts.readyTimeoutMs ?? 15_000);
    while (Date.now() < deadline) {
      if (child !== this.child || child.exitCode !== null || child.signalCode !== null) return;
      try {
        const res = await this.admin.request('GET', '/config/');
        if (res.status === 200) {
          this.ensureSocketMode();
          this.stateValue = 'running';
          this.lastError = undefined;
          this.emit('ready');
          return;
        }
      } catch {
        // Socket not there yet.
      }
      await sleep(50);
    }
    this.lastError = `caddy did not answer on its admin socket within ${this.opts.readyTimeoutMs ?? 15_000} ms (see ${this.logPath})`;
    this.opts.logger.error({ log: this.logPath }, this.lastError);
  }

  /** Caddy creates the socket with the mode we ask for; check it anyway, the socket is root's keys. */
  private ensureSocketMode() {
    const mode = statSync(this.opts.adminSocket).mode & 0o777;
    if (mode !== 0o600) chmodSync(this.opts.adminSocket, 0o600);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null) {
    if (child !== this.child) return;
    if (this.stopping) {
      this.opts.logger.info({ code, signal }, 'caddy stopped');
      return;
    }
    this.scheduleRestart(code, signal);
  }

  /** Restarts Caddy after it died: exponential backoff per crash, reset once it ran long enough. */
  private scheduleRestart(code: number | null, signal: NodeJS.Signals | null) {
    const uptime = Date.now() - this.startedAt;
    if (uptime > (this.opts.stableAfterMs ?? 30_000)) this.crashStreak = 0;
    const base = this.opts.baseBackoffMs ?? 100;
    const delay = Math.min(this.opts.maxBackoffMs ?? 10_000, base * 2 ** this.crashStreak);
    this.crashStreak += 1;
    this.restarts += 1;
    this.stateValue = 'restarting';
    this.lastError = `caddy exited (code ${code}, signal ${signal}) after ${uptime} ms; restarting in ${delay} ms`;
    this.opts.logger.warn(
      { code, signal, uptimeMs: uptime, delayMs: delay, log: this.logPath },
      'caddy exited; restarting',
    );
    this.emit('exit');
    setTimeout(() => {
      if (this.stopping) return;
      this.spawnOnce().catch((err: Error) => {
        this.lastError = err.message;
        this.opts.logger.error({ err }, 'caddy restart failed');
      });
    }, delay).unref();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(25);
  }
  return check();
}

/** JSON with sorted keys: Caddy hands back our config in its own key order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
