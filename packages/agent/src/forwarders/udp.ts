import dgram from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import type { Logger } from '../logger.ts';
import { countError, newRouteStats, type RouteStats } from '../stats.ts';
import type { TargetGuard } from '../target-guard.ts';

export interface UdpForwarderOptions {
  routeId: string;
  listen: { host: string; port: number };
  target: { host: string; port: number };
  guard: TargetGuard;
  /** Whether datagrams from this address may use the listener (the server's tunnel address only); all by default. */
  acceptsFrom?: (address: string | undefined) => boolean;
  logger: Logger;
  stats?: RouteStats;
  /** A client silent for this long loses its session (and its upstream socket). Default 60 s. */
  idleTimeoutMs?: number;
  /** At most this many clients at once; datagrams from further clients are dropped. Default 1024. */
  maxSessions?: number;
}

// Datagrams that arrive while a new session's upstream socket is still being set up are held, but only a
// few: UDP senders retransmit, and an unbounded queue would be a memory lever for whoever sends first.
const PENDING_LIMIT = 64;

// Kernel socket buffers for the listener and each upstream socket. The default (net.core.rmem_default,
// 208 KiB) holds about 270 small datagrams, ~135 ms at 2,000/s: on a busy host a Node process is
// descheduled or collecting garbage for longer than that, and the kernel drops what does not fit
// (bench/gateway-udp.ts lost 8–20 % where socat, scheduled more often for less work, lost none). The kernel
// caps the request at net.core.rmem_max / wmem_max, so this is a ceiling, not an allocation.
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * The listener's address lookup. Every reply is sent to the client's address as the kernel reported it, an
 * IP literal, yet dgram runs each send through dns.lookup, which answers an IP a tick later: one deferred
 * callback per datagram on the hot path. An IP is answered at once; anything else (a listen host given by
 * name) goes to dns.lookup as before.
 */
function literalFirstLookup(
  address: string,
  family: number,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const version = isIP(address);
  if (version === 0) dnsLookup(address, family, callback);
  else callback(null, address, version);
}

interface Session {
  key: string;
  clientAddress: string;
  clientPort: number;
  upstream: dgram.Socket;
  lastSeen: number;
  ready: boolean;
  pending: Buffer[];
}

/**
 * One UDP listener for one route and port. Each client (address:port) gets a session: its own upstream
 * socket connected to the target, so replies find their way back to the right client. Sessions end after
 * an idle timeout; the per-route cap bounds the sockets a flood of source addresses can make us open.
 */
export class UdpForwarder {
  readonly routeId: string;
  readonly stats: RouteStats;
  private target: { host: string; port: number };
  private socket: dgram.Socket | undefined;
  private readonly sessions = new Map<string, Session>();
  private sweeper: NodeJS.Timeout | undefined;
  private boundPort = 0;
  private stopped = false;

  constructor(private readonly opts: UdpForwarderOptions) {
    this.routeId = opts.routeId;
    this.target = opts.target;
    this.stats = opts.stats ?? newRouteStats();
  }

  get port(): number {
    return this.boundPort;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** New sessions use the new target; existing ones keep theirs until they expire. */
  setTarget(target: { host: string; port: number }): void {
    this.target = target;
  }

  async start(): Promise<void> {
    const socket = dgram.createSocket({
      type: isIPv6(this.opts.listen.host) ? 'udp6' : 'udp4',
      lookup: literalFirstLookup as dgram.SocketOptions['lookup'],
      recvBufferSize: SOCKET_BUFFER_BYTES,
      sendBufferSize: SOCKET_BUFFER_BYTES,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.opts.listen.port, this.opts.listen.host, () => {
        socket.removeListener('error', reject);
        resolve();
      });
    });
    socket.on('error', (err) => {
      countError(this.stats, 'listener');
      this.opts.logger.warn({ err, route: this.routeId }, 'udp listener error');
    });
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    this.socket = socket;
    this.boundPort = socket.address().port;
    const idle = this.idleMs;
    // One sweep timer per listener instead of one per session: sessions come and go by the thousand.
    this.sweeper = setInterval(() => this.sweep(), Math.max(10, Math.min(1_000, Math.floor(idle / 4))));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweeper);
    for (const session of [...this.sessions.values()]) this.endSession(session);
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private get idleMs(): number {
    return this.opts.idleTimeoutMs ?? 60_000;
  }

  private sweep(): void {
    const cutoff = Date.now() - this.idleMs;
    for (const session of this.sessions.values()) {
      if (session.lastSeen < cutoff) this.endSession(session);
    }
  }

  private endSession(session: Session): void {
    if (this.sessions.get(session.key) !== session) return;
    this.sessions.delete(session.key);
    this.stats.connectionsActive--;
    session.pending.length = 0;
    try {
      session.upstream.close();
    } catch {
      // already closed after an error
    }
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    // Before any session exists: a refused source costs one comparison, never a socket.
    if (this.opts.acceptsFrom && !this.opts.acceptsFrom(rinfo.address)) {
      countError(this.stats, 'source_refused');
      return;
    }
    const key = `${rinfo.address}|${rinfo.port}`;
    let session = this.sessions.get(key);
    if (!session) {
      if (this.sessions.size >= (this.opts.maxSessions ?? 1024)) {
        countError(this.stats, 'session_cap');
        return;
      }
      session = this.openSession(key, rinfo);
    }
    session.lastSeen = Date.now();
    this.stats.bytesUp += msg.length;
    if (session.ready) session.upstream.send(msg);
    else if (session.pending.length < PENDING_LIMIT) session.pending.push(msg);
    else countError(this.stats, 'pending_dropped');
  }

  private openSession(key: string, rinfo: dgram.RemoteInfo): Session {
    const target = this.target;
    const upstream = dgram.createSocket({
      type: isIPv6(target.host) ? 'udp6' : 'udp4',
      recvBufferSize: SOCKET_BUFFER_BYTES,
      sendBufferSize: SOCKET_BUFFER_BYTES,
    });
    const session: Session = {
      key,
      clientAddress: rinfo.address,
      clientPort: rinfo.port,
      upstream,
      lastSeen: Date.now(),
      ready: false,
      pending: [],
    };
    this.sessions.set(key, session);
    this.stats.connectionsTotal++;
    this.stats.connectionsActive++;
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      // ECONNREFUSED on a connected UDP socket is the ICMP port-unreachable of one datagram; the session
      // stays, the next datagram may find the service up.
      countError(this.stats, `target_${err.code ?? 'error'}`);
    });
    upstream.on('message', (reply) => {
      session.lastSeen = Date.now();
      this.stats.bytesDown += reply.length;
      this.socket?.send(reply, session.clientPort, session.clientAddress);
    });
    void this.opts
      .guard(target.host, target.port)
      .then(
        (address) =>
          new Promise<void>((resolve, reject) => {
            upstream.once('error', reject);
            upstream.connect(target.port, address, () => {
              upstream.removeListener('error', reject);
              resolve();
            });
          }),
      )
      .then(() => {
        if (this.stopped || this.sessions.get(key) !== session) return;
        session.ready = true;
        for (const msg of session.pending) upstream.send(msg);
        session.pending.length = 0;
      })
      .catch((err: Error) => {
        countError(this.stats, err.name === 'TargetRefusedError' ? 'target_refused' : 'connect');
        this.opts.logger.warn({ route: this.routeId, err: err.message }, 'udp session could not reach its target');
        this.endSession(session);
      });
    return session;
  }
}
