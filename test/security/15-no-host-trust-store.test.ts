// Item 15 of issue 13: with GATEHOUSE_TLS_ISSUER=internal, Caddy installed its root CA into the host's trust
// store (the system store via update-ca-certificates; NSS and Java when present). The static config now turns
// that off for the local CA in every mode, and the root certificate is offered for download instead.
// Real: the static config builder, the API in-process, and (live) the control plane with the real Caddy binary,
// whose HOME and XDG dirs are the stack's temp dir (src/caddy/supervisor.ts). Simulated: nothing.
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { staticCaddyConfig } from '../../src/caddy/static-config.ts';
import { loadConfig } from '../../src/config/index.ts';
import { rootCertificatePath } from '../../src/services/settings/root-certificate.ts';
import { testApp } from '../helpers/env.ts';
import { tcpServer } from '../helpers/net.ts';
import { type Stack, startStack } from '../helpers/stack.ts';

type Pki = { apps: { pki?: { certificate_authorities?: Record<string, { install_trust?: boolean }> } } };

describe('static config', () => {
  for (const issuer of ['internal', 'acme'] as const) {
    it(`never installs the local CA into the host trust store (issuer ${issuer})`, () => {
      const config = loadConfig({ GATEHOUSE_DATA_DIR: '/var/lib/gatehouse', GATEHOUSE_TLS_ISSUER: issuer });
      const built = staticCaddyConfig({
        caddy: config.caddy,
        listen: config.listen,
        publicDomain: undefined,
        l4ListenHost: '',
        geoipDb: undefined,
      }) as unknown as Pki;
      const cas = built.apps.pki?.certificate_authorities ?? {};
      expect(cas.local?.install_trust).toBe(false);
      // no other CA that would default to installing
      for (const ca of Object.values(cas)) expect(ca.install_trust).toBe(false);
    });
  }
});

describe('GET /api/v1/tls/root-certificate', () => {
  it('is 404 with a reason for the ACME issuer, admin only, and serves the PEM for the internal issuer', async () => {
    const t = await testApp();
    try {
      const admin = await t.tokenFor('admin');
      expect((await t.call('GET', '/api/v1/tls/root-certificate')).status).toBe(401);
      expect((await t.call('GET', '/api/v1/tls/root-certificate', { token: await t.tokenFor('read') })).status).toBe(
        403,
      );
      const acme = await t.call('GET', '/api/v1/tls/root-certificate', { token: admin });
      expect(acme.status).toBe(404);
      expect(((await acme.json()) as { error: { message: string } }).error.message).toMatch(/ACME/);

      t.config.caddy.tlsIssuer = 'internal';
      const missing = await t.call('GET', '/api/v1/tls/root-certificate', { token: admin });
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(/not|no root/i);

      const file = rootCertificatePath(t.config.caddy.dataDir);
      mkdirSync(path.dirname(file), { recursive: true });
      const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
      writeFileSync(file, pem);
      const ok = await t.call('GET', '/api/v1/tls/root-certificate', { token: admin });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe('application/x-pem-file');
      expect(await ok.text()).toBe(pem);
    } finally {
      t.cleanup();
    }
  });
});

/** The host trust store locations Caddy's truststore package writes on Debian-like systems. */
const TRUST_DIRS = ['/usr/local/share/ca-certificates', '/etc/ssl/certs'];

function listing(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    try {
      out.set(name, statSync(path.join(dir, name)).mtimeMs);
    } catch {
      out.set(name, -1); // a dangling link
    }
  }
  return out;
}

function pemsIn(file: string): string[] {
  if (!existsSync(file) || !statSync(file).isFile()) return [];
  return readFileSync(file, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

describe('internal issuer, live', () => {
  let stack: Stack | undefined;
  afterAll(async () => {
    await stack?.stop();
  });

  it('writes nothing to the host trust store, and the downloaded root verifies a route certificate', async () => {
    const before = TRUST_DIRS.map(listing);
    stack = await startStack();
    const upstream = await tcpServer((s) =>
      s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok')),
    );
    try {
      const created = await stack.request('POST', '/api/v1/routes', {
        domain: 'trust.gatehouse.test',
        target_host: '127.0.0.1',
        target_port: upstream.port,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);

      const res = await fetch(`${stack.server.url}/api/v1/tls/root-certificate`, {
        headers: { authorization: `Bearer ${stack.token}` },
      });
      expect(res.status).toBe(200);
      const pem = await res.text();
      const root = new X509Certificate(pem);
      expect(root.ca).toBe(true);

      // the route's certificate verifies against the downloaded root, and only against it
      const authorized = await new Promise<boolean>((resolve, reject) => {
        const socket = tls.connect(
          { host: '127.0.0.1', port: stack!.httpsPort, servername: 'trust.gatehouse.test', ca: pem },
          () => {
            resolve(socket.authorized);
            socket.destroy();
          },
        );
        socket.on('error', reject);
      });
      expect(authorized).toBe(true);

      // Nothing of this CA in the host trust store: Caddy names the file after the root's serial, and
      // update-ca-certificates would put its PEM into the bundle. Other processes on this host may change
      // these directories meanwhile, so the check is on this CA; other changes are only reported.
      const serial = BigInt(`0x${root.serialNumber}`).toString();
      const after = TRUST_DIRS.map(listing);
      const changed: string[] = [];
      TRUST_DIRS.forEach((dir, i) => {
        for (const [name, mtime] of after[i]!) {
          if (before[i]!.get(name) !== mtime) changed.push(path.join(dir, name));
        }
      });
      expect(changed.filter((f) => f.includes(serial))).toEqual([]);
      const ours = root.raw.toString('base64');
      for (const dir of TRUST_DIRS) {
        for (const name of existsSync(dir) ? readdirSync(dir) : []) {
          for (const p of pemsIn(path.join(dir, name))) {
            expect(p.replace(/-----[A-Z ]+-----|\s/g, ''), path.join(dir, name)).not.toBe(ours);
          }
        }
      }
      if (changed.length > 0) console.warn(`trust store changed meanwhile by others: ${changed.join(', ')}`);
      // nor in the fake HOME Caddy runs with (NSS database, Java)
      expect(existsSync(path.join(path.dirname(stack.config.caddy.dataDir), '.pki'))).toBe(false);
    } finally {
      await upstream.close();
    }
  }, 60_000);
});
