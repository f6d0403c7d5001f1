import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { loadConfig } from '../../src/config/index.ts';
import { startServer } from '../../src/server.ts';
import { createToken } from '../../src/services/tokens/create.ts';
import { caddyBin } from './caddy.ts';
import { silentLogger, tempDir } from './env.ts';
import { prepareTestDatabase } from './id-offsets.ts';
import { freePort } from './net.ts';
import { waitFor } from './wait.ts';

/**
 * The whole control plane in-process (`startServer`) with the real Caddy binary under supervision, TLS from
 * Caddy's internal CA, high free ports instead of 80/443, and L4 listeners on 127.0.0.1.
 */
export async function startStack(extraEnv: Record<string, string> = {}) {
  const { dir, cleanup } = tempDir('gatehouse-stack-');
  const [api, http, https] = [await freePort(), await freePort(), await freePort()];
  const config = loadConfig({
    GATEHOUSE_DATA_DIR: dir,
    GATEHOUSE_LISTEN: `127.0.0.1:${api}`,
    GATEHOUSE_HTTP_PORT: String(http),
    GATEHOUSE_HTTPS_PORT: String(https),
    GATEHOUSE_TLS_ISSUER: 'internal',
    GATEHOUSE_CADDY_BIN: caddyBin(),
    GATEHOUSE_WG_ENABLED: 'false',
    GATEHOUSE_L4_LISTEN_HOST: '127.0.0.1',
    GATEHOUSE_ADMIN_PASSWORD: 'correct horse battery staple',
    ...extraEnv,
  });
  await prepareTestDatabase(config);
  const server = await startServer({ config, logger: silentLogger });
  try {
    await waitFor('caddy running', () => (server.caddy?.state === 'running' ? true : undefined), 20_000);
  } catch (err) {
    // Nobody else can stop what was started: a failed start must not leave Caddy running.
    await server.stop().catch(() => {});
    cleanup();
    throw err;
  }
  const ctx = {
    db: server.db,
    config,
    logger: silentLogger,
    now: () => new Date(),
    actor: { kind: 'system' as const },
  };
  const token = (await createToken({ ctx, input: { name: 'stack', scope: 'admin' } })).token;

  const request = async (method: string, urlPath: string, body?: unknown) => {
    const res = await fetch(`${server.url}${urlPath}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
  };

  return {
    dir,
    config,
    server,
    token,
    request,
    httpsPort: https,
    caRoot: () => readFileSync(path.join(dir, 'caddy', 'pki', 'authorities', 'local', 'root.crt')),
    configEtag: async () => (await server.caddy!.admin.config()).etag,
    async stop() {
      await server.stop();
      cleanup();
    },
  };
}
export type Stack = Awaited<ReturnType<typeof startStack>>;

/** HTTPS GET through Caddy with SNI and Host set to `host`, trusting Caddy's internal CA. */
export function httpsGet(stack: Stack, host: string, urlPath = '/', headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
    (resolve, reject) => {
      const socket = tls.connect(
        { host: '127.0.0.1', port: stack.httpsPort, servername: host, ca: stack.caRoot() },
        () => {
          const extra = Object.entries(headers)
            .map(([k, v]) => `${k}: ${v}\r\n`)
            .join('');
          socket.write(`GET ${urlPath} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n${extra}\r\n`);
        },
      );
      let raw = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (raw += d));
      socket.on('error', reject);
      socket.on('end', () => {
        const [head = '', ...rest] = raw.split('\r\n\r\n');
        const [statusLine = '', ...headerLines] = head.split('\r\n');
        const parsed: Record<string, string> = {};
        for (const line of headerLines) {
          const i = line.indexOf(':');
          parsed[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
        }
        let body = rest.join('\r\n\r\n');
        if (parsed['transfer-encoding'] === 'chunked') body = dechunk(body);
        resolve({ status: Number(statusLine.split(' ')[1]), headers: parsed, body });
      });
    },
  );
}

/** The body of a chunked HTTP/1.1 response, for the raw-socket clients of the live tests. */
export function dechunk(body: string): string {
  let out = '';
  let rest = body;
  while (rest.length) {
    const i = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, i), 16);
    if (!size) break;
    out += rest.slice(i + 2, i + 2 + size);
    rest = rest.slice(i + 2 + size + 2);
  }
  return out;
}

/** A self-signed certificate for `name` (openssl), for TLS targets behind passthrough routes. */
export function selfSignedCert(dir: string, name: string): { key: Buffer; cert: Buffer } {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.crt`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      `/CN=${name}`,
      '-addext',
      `subjectAltName=DNS:${name}`,
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(key), cert: readFileSync(cert) };
}
