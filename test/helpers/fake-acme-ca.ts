// A minimal ACME (RFC 8555) CA on 127.0.0.1 for live tests, just enough for Caddy's ACME client (acmez):
// directory, nonces, accounts, orders whose authorizations are already valid (no challenge is solved, so nothing
// has to reach Caddy), finalize signing the CSR with a throwaway CA through openssl, and the certificate download.
// JWS signatures are not checked: this CA trusts every client on loopback. `mode = 'broken'` answers every new
// account with a 403 problem, as a CA that refuses service would.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { tempDir } from './env.ts';

export const BROKEN_CA_DETAIL = 'gatehouse test CA: refusing every new account';

interface Order {
  identifiers: { type: string; value: string }[];
  certificate?: string;
}

export async function fakeAcmeCa() {
  const work = tempDir('gatehouse-fake-acme-');
  const caKey = path.join(work.dir, 'ca.key');
  const caCrt = path.join(work.dir, 'ca.crt');
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '365'],
      ...['-subj', '/CN=Gatehouse fake ACME CA', '-keyout', caKey, '-out', caCrt],
    ],
    { stdio: 'ignore' },
  );
  const state = { mode: 'broken' as 'broken' | 'working', requests: [] as string[] };
  const orders = new Map<number, Order>();
  let next = 1;
  let base = '';

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const problem = status >= 400;
    res.writeHead(status, {
      'content-type': problem ? 'application/problem+json' : 'application/json',
      'replay-nonce': randomBytes(12).toString('base64url'),
      'cache-control': 'no-store',
      ...headers,
    });
    res.end(JSON.stringify(body));
  };
  const payloadOf = (raw: string): Record<string, any> => {
    try {
      const jws = JSON.parse(raw) as { payload?: string };
      return jws.payload ? JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8')) : {};
    } catch {
      return {};
    }
  };
  const orderBody = (id: number, o: Order) => ({
    status: o.certificate ? 'valid' : 'ready',
    expires: new Date(Date.now() + 3_600_000).toISOString(),
    identifiers: o.identifiers,
    authorizations: [`${base}/authz/${id}`],
    finalize: `${base}/finalize/${id}`,
    ...(o.certificate ? { certificate: `${base}/cert/${id}` } : {}),
  });
  const sign = (csrB64: string, id: number): string => {
    const csr = path.join(work.dir, `${id}.csr.der`);
    const leaf = path.join(work.dir, `${id}.crt`);
    writeFileSync(csr, Buffer.from(csrB64, 'base64url'));
    execFileSync(
      'openssl',
      [
        ...['x509', '-req', '-inform', 'DER', '-in', csr, '-CA', caCrt, '-CAkey', caKey, '-set_serial', String(id)],
        // 90 days like Let's Encrypt: a shorter one would be "expiring soon" to the alerts (certificate_days).
        ...['-days', '90', '-copy_extensions', 'copyall', '-out', leaf],
      ],
      { stdio: 'ignore' },
    );
    return readFileSync(leaf, 'utf8') + readFileSync(caCrt, 'utf8');
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const url = req.url ?? '/';
    state.requests.push(`${req.method} ${url}`);
    const [, kind, idText] = /^\/([a-z-]+)(?:\/(\d+))?$/.exec(url) ?? [];
    const id = Number(idText);
    const order = orders.get(id);
    switch (kind) {
      case 'directory':
        return send(res, 200, {
          newNonce: `${base}/new-nonce`,
          newAccount: `${base}/new-account`,
          newOrder: `${base}/new-order`,
          revokeCert: `${base}/revoke-cert`,
          keyChange: `${base}/key-change`,
        });
      case 'new-nonce':
        res.writeHead(req.method === 'HEAD' ? 200 : 204, {
          'replay-nonce': randomBytes(12).toString('base64url'),
          'cache-control': 'no-store',
        });
        return res.end();
      case 'new-account':
        if (state.mode === 'broken')
          return send(res, 403, {
            type: 'urn:ietf:params:acme:error:unauthorized',
            detail: BROKEN_CA_DETAIL,
            status: 403,
          });
        return send(res, 201, { status: 'valid', orders: `${base}/orders/1` }, { location: `${base}/acct/1` });
      case 'acct':
        return send(res, 200, { status: 'valid', orders: `${base}/orders/1` });
      case 'new-order': {
        const o: Order = { identifiers: payloadOf(raw).identifiers ?? [] };
        const n = next++;
        orders.set(n, o);
        return send(res, 201, orderBody(n, o), { location: `${base}/order/${n}` });
      }
      case 'authz':
        if (!order) break;
        return send(res, 200, {
          status: 'valid',
          identifier: order.identifiers[0],
          expires: new Date(Date.now() + 3_600_000).toISOString(),
          challenges: [{ type: 'http-01', url: `${base}/chall/${id}`, status: 'valid', token: 'fake-token' }],
        });
      case 'finalize':
        if (!order) break;
        order.certificate = sign(payloadOf(raw).csr ?? '', id);
        return send(res, 200, orderBody(id, order), { location: `${base}/order/${id}` });
      case 'order':
        if (!order) break;
        return send(res, 200, orderBody(id, order));
      case 'cert':
        if (!order?.certificate) break;
        res.writeHead(200, {
          'content-type': 'application/pem-certificate-chain',
          'replay-nonce': randomBytes(12).toString('base64url'),
        });
        return res.end(order.certificate);
    }
    send(res, 404, { type: 'urn:ietf:params:acme:error:malformed', detail: `no ${url}`, status: 404 });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        send(res, 500, { type: 'urn:ietf:params:acme:error:serverInternal', detail: String(err), status: 500 });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    state,
    directory: `${base}/directory`,
    caCertificate: () => readFileSync(caCrt),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          work.cleanup();
          resolve();
        });
      }),
  };
}
