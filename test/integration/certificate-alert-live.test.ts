// Issue 17: "certificate issuance failing" for a route domain that has no certificate yet, end to end.
// Real: the whole control plane (startServer with its alert evaluator and delivery queue), the real Caddy built
// from caddy-module/ (certmagic's cert_failed/cert_obtained through the events app into the module's handler),
// an ACME CA on 127.0.0.1 (test/helpers/fake-acme-ca.ts: refuses accounts, then issues) set through
// GATEHOUSE_ACME_CA_URL, and an HTTP webhook receiver on 127.0.0.1. Nothing leaves loopback.
// Slow on purpose: certmagic retries a failed on-demand issuance after 1 minute (its retryIntervals[0]), and
// the recovery here is that real retry succeeding.
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CERTIFICATE_FAILURES_PATH } from '../../src/caddy/certificate-failures.ts';
import { httpReceiver, signatureValid } from '../helpers/alert-receivers.ts';
import { BROKEN_CA_DETAIL, fakeAcmeCa } from '../helpers/fake-acme-ca.ts';
import { type Stack, startStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait.ts';

const DOMAIN = 'shop.certfail.test';
const KEY = `certificate:${DOMAIN}`;

let ca: Awaited<ReturnType<typeof fakeAcmeCa>>;
let hook: Awaited<ReturnType<typeof httpReceiver>>;
let stack: Stack;
let secret: string;

beforeAll(async () => {
  ca = await fakeAcmeCa();
  hook = await httpReceiver();
  stack = await startStack({ GATEHOUSE_TLS_ISSUER: 'acme', GATEHOUSE_ACME_CA_URL: ca.directory });
  const settings = await stack.request('PATCH', '/api/v1/settings', {
    alerts: { evaluate_seconds: 1, repeat_seconds: 15 },
  });
  expect(settings.status, JSON.stringify(settings.body)).toBe(200);
  const channel = await stack.request('POST', '/api/v1/alerts/channels', {
    name: 'hook',
    config: { kind: 'webhook', url: `${hook.url}/hook` },
  });
  expect(channel.status, JSON.stringify(channel.body)).toBe(201);
  secret = channel.body.secret;
  const route = await stack.request('POST', '/api/v1/routes', {
    domain: DOMAIN,
    target_host: '127.0.0.1',
    target_port: Number(new URL(hook.url).port),
  });
  expect(route.status, JSON.stringify(route.body)).toBe(201);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await hook?.close();
  await ca?.close();
});

/** A TLS handshake with SNI `name`; resolves with the certificate, or an error when it fails or hangs past `ms`. */
function handshake(name: string, ms: number, trust?: Buffer): Promise<tls.PeerCertificate | Error> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port: stack.httpsPort,
      servername: name,
      ...(trust ? { ca: trust } : { rejectUnauthorized: false }),
    });
    const timer = setTimeout(() => socket.destroy(new Error(`no handshake within ${ms} ms`)), ms);
    socket.on('secureConnect', () => {
      clearTimeout(timer);
      resolve(socket.getPeerCertificate());
      socket.end();
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      resolve(err);
    });
  });
}

type Notice = { state: string; key: string; subject: string; message: string };
const notices = () =>
  hook
    .on('/hook')
    .map((r) => JSON.parse(r.body) as Notice)
    .filter((n) => n.key === KEY);

describe('certificate issuance failing, live', () => {
  it('a CA that refuses fires the alert with the domain and the error, repeats, and recovers when issued', async () => {
    // The first visitor's handshake starts the on-demand issuance; it waits for certmagic's retry, so give up.
    expect(await handshake(DOMAIN, 3_000)).toBeInstanceOf(Error);
    expect(ca.state.requests).toContain('POST /new-account');

    const failures = await waitFor('the module to record the failure', async () => {
      const res = await stack.server.caddy!.admin.request<{ failures: Record<string, unknown>[] }>(
        'GET',
        CERTIFICATE_FAILURES_PATH,
      );
      return res.body.failures.find((f) => f.identifier === DOMAIN);
    });
    expect(failures).toMatchObject({ renewal: false, attempts: 1 });
    expect(String(failures.error)).toContain(BROKEN_CA_DETAIL);

    await waitFor('the firing notice', () => (notices().length ? true : undefined), 20_000);
    const [fired] = notices();
    expect(fired).toMatchObject({ state: 'firing', subject: `certificate issuance failing for ${DOMAIN}` });
    expect(fired!.message).toContain(`Caddy cannot obtain a certificate for ${DOMAIN}`);
    expect(fired!.message).toContain(BROKEN_CA_DETAIL);
    const raw = hook.on('/hook').find((r) => r.body.includes(KEY))!;
    expect(signatureValid(secret, raw.body, raw.headers['x-gatehouse-signature'])).toBe(true);

    // While it lasts: one repeat per repeat_seconds (15 s), no second firing.
    ca.state.mode = 'working';
    await waitFor('a repeat notice', () => (notices().some((n) => n.state === 'repeat') ? true : undefined), 25_000);

    // certmagic's retry (1 minute after the first attempt) now gets a certificate: cert_obtained clears the
    // record and the evaluator sends the recovery.
    await waitFor(
      'the recovery notice',
      () => (notices().some((n) => n.state === 'resolved') ? true : undefined),
      75_000,
      200,
    );
    const states = notices().map((n) => n.state);
    expect(states[0]).toBe('firing');
    expect(states.at(-1)).toBe('resolved');
    expect(states.filter((s) => s === 'firing')).toHaveLength(1);
    expect(states.filter((s) => s !== 'firing' && s !== 'resolved').every((s) => s === 'repeat')).toBe(true);

    // The certificate Caddy now serves for the domain is the one the CA issued.
    const cert = await handshake(DOMAIN, 5_000, ca.caCertificate());
    expect(cert).not.toBeInstanceOf(Error);
    expect((cert as tls.PeerCertificate).subjectaltname).toContain(`DNS:${DOMAIN}`);
    expect((cert as tls.PeerCertificate).issuer.CN).toBe('Gatehouse fake ACME CA');
  }, 150_000);
});
