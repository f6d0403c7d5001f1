import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger.ts';
import { countError, newRouteStats, type RouteStats } from '../stats.ts';
import type { TargetGuard } from '../target-guard.ts';
import { sendMagicPacket } from '../wol.ts';
import { adoptAccepted, onreadInto, ReadBufferPool, relay } from './relay.ts';

export interface WolTarget {
  mac: string;
  broadcast: string;
  /** UDP port of the magic packet; 9 unless a test captures it elsewhere. */
  port?: number | undefined;
}

export interface TcpTarget {
  host: string;
  port: number;
  wol?: WolTarget | undefined;
}

export interface TcpForwarderOptions {
  routeId: string;
  listen: { host: string; port: number };
  target: TcpTarget;
  guard: TargetGuard;
  /** Whether a client from this address may use the listener (the server's tunnel address only); all by default. */
  acceptsFrom?: (address: string | undefined) => boolean;
  logger: Logger;
  stats?: RouteStats;
  /** Give up on a target that neither accepts nor refuses (default 10 s). */
  connectTimeoutMs?: number;
  /** Close a connection with no traffic either way for this long (default 1 h). */
  idleTimeoutMs?: number;
  /** After a magic packet, keep retrying the dial for this long (default 60 s)… */
  wolRetryMs?: number;
  /** …once per interval (default 1 s). */
  wolRetryIntervalMs?: number;
  /** Stream buffer per socket and direction (default 1 MiB; see `relay`). */
  highWaterMark?: number;
}

// Failures that mean "host asleep or not up yet": worth a magic packet and a retry. Anything else (a
// refused target check, a reset mid-handshake) is final.
const WAKEABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

type DialResult = { socket: net.Socket } | { code: string };

/**
 * One TCP listener for one route and port. Each accepted socket is paused until its target connection
 * is up, then spliced to it with backpressure in both directions, half-close passed on, idle and connect
 * timeouts, and Wake-on-LAN retries. Owns every socket it creates: `stop()` leaves no fd behind.
 */
export class TcpForwarder {
  readonly routeId: string;
  readonly stats: RouteStats;
  private target: TcpTarget;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly aborter = new AbortController();
  private boundPort = 0;

  constructor(private readonly opts: TcpForwarderOptions) {
    this.routeId = opts.routeId;
    this.target = opts.target;
    this.stats = opts.stats ?? newRouteStats();
  }

  get port(): number {
    return this.boundPort;
  }

  /** Open sockets, client and target sides together. */
  get socketCount(): number {
    return this.sockets.size;
  }

  /** A new target applies to new connections; open ones keep the target they were spliced to. */
  setTarget(target: TcpTarget): void {
    this.target = target;
  }

  async start(): Promise<void> {
    const hwm = this.opts.highWaterMark ?? 1 << 20;
    // pauseOnConnect: nothing is read from the client before the target is up, so nothing is buffered
    // for a target that may never answer. allowHalfOpen: a client's FIN is passed on, not answered.
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true, highWaterMark: hwm });
    server.on('connection', (socket) => this.onConnection(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.opts.listen.host, port: this.opts.listen.port }, () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.opts.logger.error({ err, route: this.routeId }, 'tcp listener error'));
    this.server = server;
    this.boundPort = (server.address() as net.AddressInfo).port;
  }

  /** Stops accepting; open connections carry on until they end or `stop()` cuts them. */
  async closeListener(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server?.listening) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // close() waits for accepted connections; they are tracked and ended separately.
      setImmediate(resolve);
    });
  }

  async stop(): Promise<void> {
    this.aborter.abort();
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    // Destroyed sockets release their fds on the next loop turn; wait for it so callers can count fds.
    await new Promise((resolve) => setImmediate(resolve));
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private onConnection(accepted: net.Socket): void {
    if (this.aborter.signal.aborted) return void accepted.destroy();
    if (this.opts.acceptsFrom && !this.opts.acceptsFrom(accepted.remoteAddress)) {
      countError(this.stats, 'source_refused');
      this.opts.logger.warn(
        { route: this.routeId, from: accepted.remoteAddress },
        'connection not from the server refused',
      );
      return void accepted.destroy();
    }
    const pool = new ReadBufferPool();
    const client = adoptAccepted(accepted, pool, this.opts.highWaterMark ?? 1 << 20);
    pools.set(client, pool);
    this.track(client);
    this.stats.connectionsTotal++;
    this.stats.connectionsActive++;
    client.once('close', () => this.stats.connectionsActive--);
    // Until spliced, a client error only ends this client; `splice` adds the propagation.
    client.on('error', (err: NodeJS.ErrnoException) => countError(this.stats, `client_${err.code ?? 'error'}`));
    const idle = this.opts.idleTimeoutMs ?? 3_600_000;
    client.setTimeout(idle, () => {
      countError(this.stats, 'idle_timeout');
      client.destroy();
    });
    void this.connectTarget(client).catch((err: unknown) => {
      this.opts.logger.error({ err, route: this.routeId }, 'tcp dial failed unexpectedly');
      client.destroy();
    });
  }

  private async connectTarget(client: net.Socket): Promise<void> {
    const target = this.target;
    const log = this.opts.logger;
    let address: string;
    try {
      address = await this.opts.guard(target.host, target.port);
    } catch (err) {
      countError(this.stats, 'target_refused');
      log.warn(
        { route: this.routeId, target: `${target.host}:${target.port}`, err: (err as Error).message },
        'target refused',
      );
      return void client.destroy();
    }
    const started = Date.now();
    const retryFor = this.opts.wolRetryMs ?? 60_000;
    const interval = this.opts.wolRetryIntervalMs ?? 1_000;
    let packetSentAt = 0;
    for (;;) {
      if (client.destroyed || this.aborter.signal.aborted) return;
      const result = await this.dial(address, target.port, client);
      if ('socket' in result) {
        if (client.destroyed) return void result.socket.destroy();
        return this.splice(client, result.socket);
      }
      const wakeable = target.wol && WAKEABLE.has(result.code);
      if (!wakeable || Date.now() - started >= retryFor) {
        countError(this.stats, `connect_${result.code}`);
        log.info(
          { route: this.routeId, target: `${target.host}:${target.port}`, code: result.code },
          'target unreachable',
        );
        // A reset tells the client at once that nobody is there, as a direct connection would have.
        return void (client.destroyed ? undefined : client.resetAndDestroy());
      }
      // Resend now and then: the first packet may arrive while the NIC is still in a state that drops it.
      if (Date.now() - packetSentAt >= 10_000) {
        packetSentAt = Date.now();
        try {
          await sendMagicPacket(target.wol!);
          log.info({ route: this.routeId, mac: target.wol!.mac, broadcast: target.wol!.broadcast }, 'wake-on-lan sent');
        } catch (err) {
          countError(this.stats, 'wol_send');
          log.warn({ route: this.routeId, err: (err as Error).message }, 'wake-on-lan packet could not be sent');
        }
      }
      try {
        await sleep(interval, undefined, { signal: this.aborter.signal });
      } catch {
        return; // stopped
      }
    }
  }

  /** One connection attempt, bounded by the connect timeout and cancelled with the client or `stop()`. */
  private dial(address: string, port: number, client: net.Socket): Promise<DialResult> {
    const hwm = this.opts.highWaterMark ?? 1 << 20;
    const pool = new ReadBufferPool();
    // The stream options reach the Duplex constructor at run time; @types/node only lacks the field.
    const upstream = net.connect({
      host: address,
      port,
      allowHalfOpen: true,
      noDelay: true,
      highWaterMark: hwm,
      // Target → client bytes are read into recycled buffers instead of a new chunk per read (relay.ts).
      onread: onreadInto(pool),
    } as net.NetConnectOpts);
    pools.set(upstream, pool);
    this.track(upstream);
    return new Promise<DialResult>((resolve) => {
      const done = (result: DialResult) => {
        clearTimeout(timer);
        upstream.removeListener('connect', onConnect);
        upstream.removeListener('error', onError);
        upstream.removeListener('close', onClose);
        client.removeListener('close', onClientClose);
        resolve(result);
      };
      const onConnect = () => done({ socket: upstream });
      const onError = (err: NodeJS.ErrnoException) => done({ code: err.code ?? 'EUNKNOWN' });
      const onClose = () => done({ code: 'ECLOSED' });
      const onClientClose = () => {
        upstream.destroy();
        done({ code: 'ECLIENTGONE' });
      };
      const timer = setTimeout(() => {
        upstream.destroy();
        done({ code: 'ETIMEDOUT' });
      }, this.opts.connectTimeoutMs ?? 10_000);
      upstream.once('connect', onConnect);
      upstream.once('error', onError);
      upstream.once('close', onClose);
      client.once('close', onClientClose);
      // A late error after done() must not crash the process.
      upstream.on('error', () => {});
    });
  }

  private splice(client: net.Socket, upstream: net.Socket): void {
    const stats = this.stats;
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      countError(stats, `target_${err.code ?? 'error'}`);
      // Pass a reset on as a reset, so the client sees what a direct connection would have shown.
      if (!client.destroyed) err.code === 'ECONNRESET' ? client.resetAndDestroy() : client.destroy();
    });
    client.on('error', (err: NodeJS.ErrnoException) => {
      if (!upstream.destroyed) err.code === 'ECONNRESET' ? upstream.resetAndDestroy() : upstream.destroy();
    });
    // Destroyed for other reasons (idle timeout, stop): take the other side along. A clean close needs
    // nothing: both halves have ended and each socket closes itself once its writes are flushed.
    client.on('close', () => {
      if (!upstream.destroyed && !(client.readableEnded && client.writableFinished)) upstream.destroy();
    });
    upstream.on('close', () => {
      if (!client.destroyed && !(upstream.readableEnded && upstream.writableFinished)) client.destroy();
    });
    relay(client, pools.get(client)!, upstream, (n) => {
      stats.bytesUp += n;
    });
    relay(upstream, pools.get(upstream)!, client, (n) => {
      stats.bytesDown += n;
    });
    client.resume();
  }
}

/** The read buffers of each spliced socket, set up before it reads (onread is a constructor option). */
const pools = new WeakMap<net.Socket, ReadBufferPool>();
