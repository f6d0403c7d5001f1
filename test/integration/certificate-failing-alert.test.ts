// Issue 17: "certificate issuance failing" also for a certificate that does not exist yet.
// Real: the evaluator and its conditions, readCertificateFailures and the admin client over a unix socket, a
// libSQL temp-file database, the delivery queue and an HTTP webhook receiver on 127.0.0.1. Simulated: the clock,
// and the data plane's admin answer (a unix-socket server in the test's temp dir serves what the module's
// GET /gatehouse/v1/certificates/failures would; the real module answers in certificate-alert-live.test.ts).
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CaddyAdminClient } from '../../src/caddy/admin-client.ts';
import { CERTIFICATE_FAILURES_PATH, readCertificateFailures } from '../../src/caddy/certificate-failures.ts';
import { createChannel } from '../../src/services/alerts/channels.ts';
import { AlertEvaluator } from '../../src/services/alerts/evaluator.ts';
import { DeliveryQueue } from '../../src/services/alerts/queue.ts';
import { updateRuntimeSettings } from '../../src/services/settings/runtime.ts';
import { httpReceiver } from '../helpers/alert-receivers.ts';
import { systemContext, tempDir, testDb } from '../helpers/env.ts';
import { waitFor } from '../helpers/wait.ts';

let db: Awaited<ReturnType<typeof testDb>>;
let hook: Awaited<ReturnType<typeof httpReceiver>>;
let queue: DeliveryQueue;
let clock: number;
let socketDir: ReturnType<typeof tempDir>;
let admin: Server;
let answer: { status: number; body: unknown };
const ctx = () => systemContext(db, () => new Date(clock));

const failure = (over: Record<string, unknown> = {}) => ({
  identifier: 'app.example.test',
  renewal: false,
  error: 'creating account: HTTP 403 urn:ietf:params:acme:error:unauthorized - the test CA refuses',
  attempts: 1,
  issuers: ['127.0.0.1-directory'],
  first_failed_at: '2026-11-21T12:00:00.123456789Z',
  last_failed_at: '2026-11-21T12:00:00.123456789Z',
  ...over,
});

beforeEach(async () => {
  clock = Date.parse('2026-11-21T12:00:05Z');
  db = await testDb();
  hook = await httpReceiver();
  queue = new DeliveryQueue(ctx(), { baseDelayMs: 50, maxAttempts: 2 });
  await createChannel({
    ctx: ctx(),
    input: { name: 'hook', enabled: true, config: { kind: 'webhook', url: `${hook.url}/hook` } },
  });
  await updateRuntimeSettings({ ctx: ctx(), input: { alerts: { repeat_seconds: 120 } } });
  socketDir = tempDir('gatehouse-certfail-');
  answer = { status: 200, body: { failures: [] } };
  admin = createServer((req, res) => {
    if (req.url !== CERTIFICATE_FAILURES_PATH) return void res.writeHead(404).end();
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => admin.listen(path.join(socketDir.dir, 'admin.sock'), resolve));
});
afterEach(async () => {
  queue.stop();
  await hook.close();
  await new Promise((resolve) => admin.close(resolve));
  socketDir.cleanup();
  db.cleanup();
});

const client = () => new CaddyAdminClient(path.join(socketDir.dir, 'admin.sock'), 2_000);
const evaluator = () =>
  new AlertEvaluator(
    ctx(),
    {
      gatewayOnline: () => false,
      peerHandshakeAt: () => null,
      certificateFailures: () => readCertificateFailures(client()),
    },
    queue,
  );
const states = (events: { state: string; key: string }[]) => events.map((e) => `${e.state} ${e.key}`);

describe('certificate issuance failing', () => {
  it('fires once with the domain and the error, repeats at the interval, recovers when obtained', async () => {
    const ev = evaluator();
    expect(await ev.tick()).toEqual([]);

    answer.body = { failures: [failure()] };
    const [fired] = await ev.tick();
    expect(fired).toMatchObject({ state: 'firing', condition: 'certificate', key: 'certificate:app.example.test' });
    expect(fired!.subject).toBe('certificate issuance failing for app.example.test');
    expect(fired!.message).toContain('Caddy cannot obtain a certificate for app.example.test: 1 failed attempt');
    expect(fired!.message).toContain('urn:ietf:params:acme:error:unauthorized');

    // Another failed attempt: no second notice before the repeat interval, one after it.
    answer.body = { failures: [failure({ attempts: 2, last_failed_at: '2026-11-21T12:01:00Z' })] };
    clock += 60_000;
    expect(await ev.tick()).toEqual([]);
    clock += 61_000;
    const [again] = await ev.tick();
    expect(again).toMatchObject({ state: 'repeat', key: 'certificate:app.example.test' });
    expect(again!.message).toContain('2 failed attempts');

    // cert_obtained cleared it in the module: the recovery notice.
    answer.body = { failures: [] };
    clock += 5_000;
    expect(states(await ev.tick())).toEqual(['resolved certificate:app.example.test']);
    clock += 5_000;
    expect(await ev.tick()).toEqual([]);

    await waitFor('three webhook notices', () => (hook.on('/hook').length >= 3 ? true : undefined), 10_000);
    const got = hook.on('/hook').map((r) => JSON.parse(r.body) as { state: string; subject: string });
    expect(got.map((n) => n.state)).toEqual(['firing', 'repeat', 'resolved']);
    expect(got.every((n) => n.subject === 'certificate issuance failing for app.example.test')).toBe(true);
  });

  it('a renewal failure says so; hostile entries are skipped or cleaned, never trusted', async () => {
    answer.body = {
      failures: [
        failure({ identifier: 'renew.example.test', renewal: true, error: `bad\r\nX-Evil: 1\u202e${'x'.repeat(900)}` }),
        failure({ identifier: 'evil.test\r\nX-Injected: yes' }),
        failure({ identifier: 'a'.repeat(300) }),
        failure({ identifier: 'ok.test', attempts: 'many' }),
        failure({ identifier: 'ok2.test', first_failed_at: 'yesterday' }),
        'not an object',
      ],
    };
    const read = await readCertificateFailures(client());
    expect(read.map((f) => f.identifier)).toEqual(['renew.example.test']);
    expect(read[0]!.error).toMatch(/^bad X-Evil: 1 x+…$/);
    expect(read[0]!.error.length).toBeLessThanOrEqual(501);

    const [fired] = await evaluator().tick();
    expect(fired!.message).toContain('Caddy cannot renew the certificate for renew.example.test');
  });

  it('a data plane that does not answer raises no alert of its own and hides no other', async () => {
    answer = { status: 503, body: { error: 'the gatehouse app is not running' } };
    await expect(readCertificateFailures(client())).rejects.toThrow(/answered 503/);
    expect(await evaluator().tick()).toEqual([]);
  });
});
