import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { readdirSync } from 'node:fs';
import net from 'node:net';

/** Open file descriptors of this process (Linux): what a leak would show up in. */
export function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** A port on `host` that nothing listens on right now (bound to :0, read, released): free a moment ago. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A TCP server on 127.0.0.1:0 (or the given port) that tracks its sockets and destroys them on close. */
export async function tcpServer(
  onSocket: (socket: net.Socket) => void,
  opts: { port?: number; allowHalfOpen?: boolean } = {},
): Promise<{ server: net.Server; port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: opts.allowHalfOpen ?? false }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    server,
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * An echo server: what a forwarder's target usually is in these tests. With a `prefix`, every chunk comes back
 * as text behind it (`tcp:` + data), so a test can tell which of several targets answered.
 */
export function echoServer(prefix = '') {
  return tcpServer((socket) =>
    prefix ? socket.on('data', (d: Buffer) => socket.write(prefix + d.toString())) : socket.pipe(socket),
  );
}

/** Connects to 127.0.0.1:port and resolves once connected; the error handler is attached first. */
export function connect(port: number, opts: { allowHalfOpen?: boolean } = {}): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: opts.allowHalfOpen ?? false });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      resolve(socket);
    });
  });
}

/** Everything a socket receives until it ends or closes, and how it ended. */
export function collect(socket: net.Socket): Promise<{ data: Buffer; error: NodeJS.ErrnoException | undefined }> {
  const chunks: Buffer[] = [];
  let error: NodeJS.ErrnoException | undefined;
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', (err) => {
    error = err;
  });
  return new Promise((resolve) => socket.once('close', () => resolve({ data: Buffer.concat(chunks), error })));
}

/**
 * A target that never answers a SYN: a listener with a backlog of 1 in a stopped child process, its
 * accept queue filled first, so the kernel drops further SYNs (tcp_abort_on_overflow = 0). The loopback
 * stand-in for a powered-off host.
 */
export async function silentTarget(): Promise<{ port: number; close: () => Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '-e',
      "const s=require('net').createServer({pauseOnConnect:true}).listen({port:0,host:'127.0.0.1',backlog:1},()=>console.log(s.address().port));",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
  });
  child.kill('SIGSTOP');
  // Fill the accept queue; attempts beyond it hang in SYN-SENT, which is what we want from now on.
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.on('error', () => {});
    fillers.push(s);
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  return {
    port,
    close: async () => {
      for (const s of fillers) s.destroy();
      child.kill('SIGKILL');
      await new Promise((resolve) =>
        child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve),
      );
    },
  };
}

/** Sends `message` over a new TCP connection to 127.0.0.1:port and resolves with the first answer. */
export function tcpRoundTrip(port: number, message: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(message));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer on port ${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('data', (d) => {
      clearTimeout(timer);
      socket.end();
      resolve(d.toString());
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`connection to ${port} closed without an answer`));
    });
  });
}

/** A UDP server on 127.0.0.1:0 that answers every datagram with `prefix` + its text. */
export async function udpEcho(prefix: string) {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => socket.send(Buffer.from(prefix + msg.toString()), rinfo.port, rinfo.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, close: () => new Promise<void>((r) => socket.close(() => r())) };
}

/** Sends one datagram to 127.0.0.1:port and resolves with the first answer. */
export function udpRoundTrip(port: number, message: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no UDP answer on port ${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(msg.toString());
    });
    socket.send(message, port, '127.0.0.1');
  });
}
