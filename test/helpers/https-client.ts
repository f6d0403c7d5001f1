import net from 'node:net';
import tls from 'node:tls';
import { dechunk, type Stack, startStack } from './stack.ts';
import { waitFor } from './wait.ts';

export interface Reply {
  status: number;
  /** Lower-cased names; Set-Cookie is in `setCookies`. */
  headers: Record<string, string>;
  setCookies: string[];
  body: string;
}

/**
 * One HTTPS request through the stack's Caddy (SNI and Host = `host`, Caddy's internal CA trusted), from a
 * chosen loopback source address so a test can be several clients (or a proxy) at once.
 */
export function httpsRequest(
  stack: Stack,
  host: string,
  opts: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    form?: Record<string, string>;
    json?: unknown;
    from?: string;
  } = {},
): Promise<Reply> {
  const body = opts.form
    ? new URLSearchParams(opts.form).toString()
    : opts.json !== undefined
      ? JSON.stringify(opts.json)
      : '';
  const type = opts.form ? 'application/x-www-form-urlencoded' : opts.json !== undefined ? 'application/json' : '';
  const headers = {
    ...(type ? { 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)) } : {}),
    ...opts.headers,
  };
  return new Promise<Reply>((resolve, reject) => {
    const tcp = net.connect({ host: '127.0.0.1', port: stack.httpsPort, localAddress: opts.from ?? '127.0.0.1' });
    tcp.on('error', reject);
    const socket = tls.connect({ socket: tcp, servername: host, ca: stack.caRoot() }, () => {
      const extra = Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.write(
        `${opts.method ?? 'GET'} ${opts.path ?? '/'} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n${extra}\r\n${body}`,
      );
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer from ${host} within 10 s`)));
    let raw = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (raw += d));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', ...rest] = raw.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const parsed: Record<string, string> = {};
      const setCookies: string[] = [];
      for (const line of lines) {
        const i = line.indexOf(':');
        const name = line.slice(0, i).toLowerCase();
        const value = line.slice(i + 1).trim();
        if (name === 'set-cookie') setCookies.push(value);
        else parsed[name] = value;
      }
      let text = rest.join('\r\n\r\n');
      if (parsed['transfer-encoding'] === 'chunked') text = dechunk(text);
      resolve({ status: Number(statusLine.split(' ')[1]), headers: parsed, setCookies, body: text });
    });
  });
}

/** The value of cookie `name` among a reply's Set-Cookie headers. */
export const cookieValue = (reply: Reply, name: string) =>
  reply.setCookies
    .find((c) => c.startsWith(`${name}=`))
    ?.split(';')[0]
    ?.slice(name.length + 1);

/**
 * A stack that serves the dashboard and API on `domain` through Caddy (GATEHOUSE_PUBLIC_DOMAIN), started once
 * the domain's certificate from Caddy's internal CA is there and its login page answers.
 */
export async function startStackOnPublicDomain(domain: string): Promise<Stack> {
  const stack = await startStack({ GATEHOUSE_PUBLIC_DOMAIN: domain });
  await waitFor(
    'the public domain',
    async () => (await httpsRequest(stack, domain, { path: '/login' })).status === 200,
    15_000,
    200,
  );
  return stack;
}
