import net from 'node:net';

/**
 * The byte relay behind the TCP forwarder: each socket reads through `net`'s `onread` option into buffers
 * of its own, which are recycled instead of allocated per read. Measured (bench/gateway-forwarder.ts and
 * the closing note of issue 20): the kernel's copies dominate, and Node's share is per read — fewer,
 * larger reads and no Buffer (plus its garbage collection) per read are what brings it near socat.
 */

/** First buffer of a socket: interactive connections (SSH, 64-byte round trips) never need more. */
const SMALL_READ_BYTES = 64 * 1024;
/** After one read that filled the buffer, the socket moves bulk data: read as much as `socat -b 262144`. */
const BULK_READ_BYTES = 256 * 1024;
/** Spare buffers kept per socket and direction; more are collected (the writer queues up to its highWaterMark). */
const SPARE_BUFFERS = 4;

export interface ReadBuffer {
  bytes: Buffer;
  /** Writes queued from this buffer that the kernel has not taken yet. */
  pending: number;
  /** No longer read into: back to the spares once `pending` reaches 0. */
  retired: boolean;
  /** The write callback, made once per buffer rather than once per write. */
  written: () => void;
}

/**
 * The read buffers of one socket. A read whose write the kernel took whole leaves its buffer free for the
 * next read; one whose write was queued (the receiver is slower) retires its buffer until that write is
 * done, and the next read goes to a spare. So bytes still queued are never overwritten, and under
 * backpressure the socket cycles through a few buffers instead of allocating one per read.
 */
export class ReadBufferPool {
  private current: ReadBuffer | undefined;
  private size = SMALL_READ_BYTES;
  private readonly spares: ReadBuffer[] = [];
  /** Bytes read before the splice (a server that speaks first), copied: the buffer is read into again. */
  readonly early: Buffer[] = [];
  /** Set by `relay` once spliced; returns false to stop reading until the writer drains. */
  onData: (chunk: Buffer, buffer: ReadBuffer) => boolean = (chunk) => {
    this.early.push(Buffer.from(chunk));
    return true;
  };

  /** `onread.buffer`: where the next read goes (called once before the first read and after each). */
  next(): Buffer {
    const current = this.current;
    if (current && !current.retired && current.bytes.length === this.size) return current.bytes;
    if (current && !current.retired) current.retired = current.pending > 0; // outgrown: dropped once written
    this.current = this.spares.pop() ?? this.allocate();
    return this.current.bytes;
  }

  /** `onread.callback`. */
  deliver(n: number, bytes: Buffer): boolean {
    const current = this.current!;
    if (n === bytes.length && this.size < BULK_READ_BYTES) this.size = BULK_READ_BYTES;
    return this.onData(bytes.subarray(0, n), current);
  }

  private allocate(): ReadBuffer {
    const buffer: ReadBuffer = {
      bytes: Buffer.allocUnsafe(this.size),
      pending: 0,
      retired: false,
      written: () => {
        if (--buffer.pending > 0 || !buffer.retired) return;
        buffer.retired = false;
        if (buffer.bytes.length === this.size && this.spares.length < SPARE_BUFFERS) this.spares.push(buffer);
      },
    };
    return buffer;
  }
}

/** The `onread` socket option reading through `pool`. */
export function onreadInto(pool: ReadBufferPool): {
  buffer: () => Buffer;
  callback: (n: number, buf: Buffer) => boolean;
} {
  return { buffer: () => pool.next(), callback: (n, buf) => pool.deliver(n, buf) };
}

/**
 * Copies `from` → `to` with backpressure and passes `end` on as a half-close. Hand-written instead of
 * `pipe()`: pipe() keeps 16 KiB chunks and ends `to` on its own terms, and reads a new Buffer per chunk.
 * Returning false from the onread callback stops reading `from` until `to` drains.
 */
export function relay(from: net.Socket, pool: ReadBufferPool, to: net.Socket, count: (n: number) => void): void {
  pool.onData = (chunk, buffer) => {
    count(chunk.length);
    if (to.destroyed) return false;
    buffer.pending++;
    const more = to.write(chunk, buffer.written);
    // Not all of it reached the kernel: the queued part still points into this buffer.
    if (to.writableLength > 0) buffer.retired = true;
    return more;
  };
  for (const chunk of pool.early.splice(0)) {
    count(chunk.length);
    to.write(chunk);
  }
  to.on('drain', () => from.resume());
  from.on('end', () => {
    if (!to.destroyed) to.end();
  });
}

interface SocketInternals {
  _handle: unknown;
}

/**
 * net.Server has no `onread` option for the sockets it accepts, so the accepted socket (paused by
 * pauseOnConnect, nothing read yet) hands its handle to a new socket that reads through `pool`.
 * The accepted one keeps no handle; it is destroyed when the new one closes, which is what the server
 * counts for `close()`. (Node 20: `handle` is the constructor option net.Server itself uses.)
 */
export function adoptAccepted(accepted: net.Socket, pool: ReadBufferPool, highWaterMark: number): net.Socket {
  const handle = (accepted as unknown as SocketInternals)._handle;
  (accepted as unknown as SocketInternals)._handle = null;
  const socket = new net.Socket({
    handle,
    allowHalfOpen: true,
    readable: true,
    writable: true,
    highWaterMark,
    // Stays paused, as pauseOnConnect left it, until the target is up.
    pauseOnCreate: true,
    onread: onreadInto(pool),
  } as net.SocketConstructorOpts);
  socket.once('close', () => accepted.destroy());
  return socket;
}
