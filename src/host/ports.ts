import dgram from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Config } from '../config/index.ts';
import { findPortHolder, type SocketHolder, type SocketProtocol } from './sockets.ts';

/** A port Gatehouse binds, with the setting that chose it (what an operator changes). */
export interface OwnPort {
  setting: 'GATEHOUSE_LISTEN' | 'GATEHOUSE_HTTP_PORT' | 'GATEHOUSE_HTTPS_PORT' | 'GATEHOUSE_WG_PORT';
  /** The setting's value as the operator would write it. */
  value: string;
  port: number;
  protocol: SocketProtocol;
  /** undefined: every address (Caddy's `:443`, WireGuard's listen port). */
  host: string | undefined;
  /** false: a busy port is a warning only (WireGuard in `auto` mode degrades instead of failing). */
  required: boolean;
}

/** Every port this configuration binds at `gatehouse server`. */
export function ownPorts(config: Config): OwnPort[] {
  const ports: OwnPort[] = [];
  const { host, port } = config.listen;
  // Port 0 is "any free port" (tests): it cannot be busy.
  if (port !== 0) {
    const shown = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    ports.push({ setting: 'GATEHOUSE_LISTEN', value: shown, port, protocol: 'tcp', host, required: true });
  }
  if (config.caddy.enabled) {
    for (const [setting, p] of [
      ['GATEHOUSE_HTTP_PORT', config.caddy.httpPort],
      ['GATEHOUSE_HTTPS_PORT', config.caddy.httpsPort],
    ] as const) {
      ports.push({ setting, value: String(p), port: p, protocol: 'tcp', host: undefined, required: true });
    }
  }
  if (config.wireguard.mode !== 'false') {
    const p = config.wireguard.port;
    const required = config.wireguard.mode === 'true';
    ports.push({ setting: 'GATEHOUSE_WG_PORT', value: String(p), port: p, protocol: 'udp', host: undefined, required });
  }
  return ports;
}

export type ProbeResult = 'free' | 'busy' | 'denied';

/** Binds the port for a moment: the only sure answer to "can we have it". Nothing is sent. */
export function probePort(target: Pick<OwnPort, 'host' | 'port' | 'protocol'>): Promise<ProbeResult> {
  const verdict = (err: NodeJS.ErrnoException): ProbeResult => {
    if (err.code === 'EADDRINUSE') return 'busy';
    if (err.code === 'EACCES') return 'denied';
    throw err;
  };
  if (target.protocol === 'udp') {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket('udp4');
      socket.once('error', (err) => {
        socket.close();
        try {
          resolve(verdict(err));
        } catch (e) {
          reject(e);
        }
      });
      socket.bind({ port: target.port, address: target.host ?? '0.0.0.0', exclusive: true }, () =>
        socket.close(() => resolve('free')),
      );
    });
  }
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err) => {
      try {
        resolve(verdict(err));
      } catch (e) {
        reject(e);
      }
    });
    server.listen({ port: target.port, host: target.host, exclusive: true }, () => server.close(() => resolve('free')));
  });
}

/** Who holds a busy port, told from Gatehouse's point of view. */
export type PortOwner =
  | { kind: 'our-caddy'; pid: number }
  | { kind: 'our-wireguard'; interface: string }
  | { kind: 'gatehouse'; holder: SocketHolder }
  | { kind: 'other'; holder: SocketHolder }
  | { kind: 'unknown' };

/** The Caddy this data dir's supervisor runs (its pid file; src/caddy/supervisor.ts). */
function ourCaddyPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'caddy.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function portOwner(target: OwnPort, config: Config, find = findPortHolder): PortOwner {
  const holder = find(target.port, target.protocol);
  if (holder === 'kernel') {
    // A kernel WireGuard interface holds its UDP port without a process; ours is adopted at start.
    const iface = config.wireguard.interface;
    if (target.protocol === 'udp' && existsSync(`/sys/class/net/${iface}`))
      return { kind: 'our-wireguard', interface: iface };
    return { kind: 'unknown' };
  }
  if (!holder) return { kind: 'unknown' };
  if (holder.pid === ourCaddyPid(config.dataDir)) return { kind: 'our-caddy', pid: holder.pid };
  if (/\bsrc\/cli\.ts server\b|\bgatehouse server\b/.test(holder.command)) return { kind: 'gatehouse', holder };
  // wireguard-go holds the port in a process of its own, named after the interface: Debian's on PATH
  // (`wireguard-go wg0`) or ours by its full path (`/opt/gatehouse/bin/wireguard-go wg0`).
  const userspace = holder.command.split(' ');
  if (
    target.protocol === 'udp' &&
    userspace.length === 2 &&
    /(^|\/)wireguard-go$/.test(userspace[0]!) &&
    userspace[1] === config.wireguard.interface
  ) {
    return { kind: 'our-wireguard', interface: config.wireguard.interface };
  }
  return { kind: 'other', holder };
}

/** "held by pid 42 (python3 -m http.server 3000)", or what is known. */
export function describeOwner(owner: PortOwner): string {
  switch (owner.kind) {
    case 'our-caddy':
      return `held by this installation's Caddy (pid ${owner.pid})`;
    case 'our-wireguard':
      return `held by this installation's WireGuard interface ${owner.interface}`;
    case 'gatehouse':
      return `held by another gatehouse server (pid ${owner.holder.pid}: ${owner.holder.command})`;
    case 'other':
      return `held by pid ${owner.holder.pid} (${owner.holder.command})`;
    case 'unknown':
      return 'held by a process this user cannot see (try as root: ss -lntup)';
  }
}

/** The one-paragraph message for a port Gatehouse cannot bind: which port, which setting, who holds it. */
export function portInUseMessage(target: OwnPort, owner: PortOwner): string {
  const where = target.host === undefined ? 'every address' : target.host;
  return (
    `port ${target.port}/${target.protocol} on ${where} is already in use (${target.setting}=${target.value}), ` +
    `${describeOwner(owner)}. Stop that program or set ${target.setting} to a free port.`
  );
}

/** Thrown before anything starts when a port Gatehouse needs is taken; the CLI prints the message alone. */
export class PortInUseError extends Error {
  constructor(
    readonly port: OwnPort,
    readonly owner: PortOwner,
  ) {
    super(portInUseMessage(port, owner));
    this.name = 'PortInUseError';
  }
}

/** A busy port that is ours already (an adopted Caddy or WireGuard interface) is not a conflict. */
function isOurs(owner: PortOwner): boolean {
  return owner.kind === 'our-caddy' || owner.kind === 'our-wireguard';
}

/**
 * Checks every port of `config` before the server binds any: throws PortInUseError for the first required
 * one another program holds; returns the optional ones that are taken (the caller warns).
 */
export async function assertPortsFree(config: Config): Promise<PortInUseError[]> {
  const warnings: PortInUseError[] = [];
  for (const target of ownPorts(config)) {
    if ((await probePort(target)) !== 'busy') continue;
    const owner = portOwner(target, config);
    if (isOurs(owner)) continue;
    const error = new PortInUseError(target, owner);
    if (target.required) throw error;
    warnings.push(error);
  }
  return warnings;
}
