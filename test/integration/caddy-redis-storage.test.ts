// Issue 21: two edges share certificates through Redis. Real: Debian's redis-server on loopback, two processes
// of our Caddy (with github.com/pberkel/caddy-storage-redis compiled in) configured with the storage block
// Gatehouse generates (src/caddy/redis-storage.ts), each with its own data dir; TLS handshakes to both.
// Simulated: the certificate authority (Caddy's internal issuer instead of ACME). Skips with a printed reason
// where redis-server is missing or the Caddy binary lacks the module.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStorageConfig } from '../../src/caddy/redis-storage.ts';
import { parseRedisStorageUrl, type RedisStorageTarget } from '../../src/config/redis-storage-url.ts';
import { caddyBin } from '../helpers/caddy.ts';
import { tempDir } from '../helpers/env.ts';
import { freePort } from '../helpers/net.ts';

function which(bin: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function hasRedisModule(): boolean {
  try {
    return execFileSync(caddyBin(), ['list-modules'], { encoding: 'utf8' }).includes('caddy.storage.redis');
  } catch {
    return false;
  }
}

const redisServer = which('redis-server');
const skipReason = !redisServer
  ? 'redis-server is missing (apt-get install redis-server; scripts/install.sh --test installs it)'
  : !hasRedisModule()
    ? 'bin/caddy lacks caddy.storage.redis: rebuild it (node scripts/build-caddy.mjs)'
    : undefined;
if (skipReason) process.stdout.write(`caddy-redis-storage: skipped: ${skipReason}\n`);

const KEY = 'an-encryption-key-of-32-chars-!!';
const procs: ChildProcess[] = [];
const { dir, cleanup } = tempDir('gatehouse-redis-');
let redisPort = 0;

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function peerCert(port: number): Promise<{ fingerprint: string; serial: string } | undefined> {
  return new Promise((resolve) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port, servername: 'shared.test', rejectUnauthorized: false },
      () => {
        const cert = socket.getPeerCertificate();
        socket.destroy();
        resolve(cert?.fingerprint256 ? { fingerprint: cert.fingerprint256, serial: cert.serialNumber } : undefined);
      },
    );
    socket.on('error', () => resolve(undefined));
    socket.setTimeout(3000, () => {
      socket.destroy();
      resolve(undefined);
    });
  });
}

async function startEdgeCaddy(name: string, target: RedisStorageTarget): Promise<number> {
  const port = await freePort();
  const home = path.join(dir, name);
  mkdirSync(home, { recursive: true });
  const config = {
    admin: { disabled: true },
    storage: redisStorageConfig(target, KEY),
    apps: {
      http: {
        servers: {
          edge: {
            listen: [`127.0.0.1:${port}`],
            automatic_https: { disable_redirects: true },
            routes: [{ match: [{ host: ['shared.test'] }], handle: [{ handler: 'static_response', body: name }] }],
          },
        },
      },
      tls: { automation: { policies: [{ subjects: ['shared.test'], issuers: [{ module: 'internal' }] }] } },
      pki: { certificate_authorities: { local: { install_trust: false } } },
    },
  };
  const file = path.join(home, 'caddy.json');
  writeFileSync(file, JSON.stringify(config));
  const env = { PATH: process.env.PATH, HOME: home, XDG_DATA_HOME: home, XDG_CONFIG_HOME: home };
  const proc = spawn(caddyBin(), ['run', '--config', file], { env, stdio: 'ignore' });
  procs.push(proc);
  return port;
}

describe.skipIf(skipReason !== undefined)('certificates shared between two edges through Redis', () => {
  beforeAll(async () => {
    redisPort = await freePort();
    const redis = spawn(
      redisServer!,
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' },
    );
    procs.push(redis);
    await waitFor('redis', async () =>
      execFileSync('redis-cli', ['-p', String(redisPort), 'ping'], { encoding: 'utf8' }).includes('PONG')
        ? true
        : undefined,
    );
  });

  afterAll(() => {
    for (const p of procs) p.kill('SIGKILL');
    cleanup();
  });

  it('the second edge serves the certificate the first one issued (issued once)', async () => {
    const target = parseRedisStorageUrl(`redis://127.0.0.1:${redisPort}/0`);
    if (typeof target === 'string') throw new Error(target);
    const portA = await startEdgeCaddy('edge-a', target);
    const certA = await waitFor('edge A certificate', () => peerCert(portA));
    const portB = await startEdgeCaddy('edge-b', target);
    const certB = await waitFor('edge B certificate', () => peerCert(portB));
    expect(certB.fingerprint).toBe(certA.fingerprint);
    expect(certB.serial).toBe(certA.serial);
    const keys = execFileSync('redis-cli', ['-p', String(redisPort), '--scan', '--pattern', 'gatehouse/*'], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean);
    expect(keys.some((k) => k.includes('certificates') && k.endsWith('shared.test.crt'))).toBe(true);
    // Encrypted at rest: the private key in Redis is not PEM.
    const keyName = keys.find((k) => k.endsWith('shared.test.key'))!;
    const raw = execFileSync('redis-cli', ['-p', String(redisPort), '--no-raw', 'GET', keyName], { encoding: 'utf8' });
    expect(raw).not.toContain('PRIVATE KEY');
  });
});
