// Real: the evaluator, the conditions, a libSQL temp-file database, the delivery queue, an HTTP receiver on
// 127.0.0.1, openssl for a certificate. Simulated: the clock, and who is online (a live source the test sets).
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertStates, auditLog, gateways, peers } from '../../src/db/schema/index.ts';
import { createChannel } from '../../src/services/alerts/channels.ts';
import type { AlertLiveSource } from '../../src/services/alerts/conditions.ts';
import { AlertEvaluator } from '../../src/services/alerts/evaluator.ts';
import { DeliveryQueue } from '../../src/services/alerts/queue.ts';
import { createGateway } from '../../src/services/gateways/create.ts';
import { updateRuntimeSettings } from '../../src/services/settings/runtime.ts';
import { httpReceiver } from '../helpers/alert-receivers.ts';
import { systemContext, tempDir, testDb } from '../helpers/env.ts';

let db: Awaited<ReturnType<typeof testDb>>;
let http: Awaited<ReturnType<typeof httpReceiver>>;
let queue: DeliveryQueue;
let clock: number;
const online = new Set<number>();
const ctx = () => systemContext(db, () => new Date(clock));
const live = (extra: Partial<AlertLiveSource> = {}): AlertLiveSource => ({
  gatewayOnline: (id) => online.has(id),
  peerHandshakeAt: () => null,
  ...extra,
});

beforeEach(async () => {
  clock = Date.parse('2026-11-21T12:00:00Z');
  online.clear();
  db = await testDb();
  http = await httpReceiver();
  queue = new DeliveryQueue(ctx(), { baseDelayMs: 50, maxAttempts: 2 });
  await createChannel({
    ctx: ctx(),
    input: { name: 'hook', enabled: true, config: { kind: 'webhook', url: `${http.url}/hook` } },
  });
  await updateRuntimeSettings({
    ctx: ctx(),
    input: {
      alerts: { gateway_offline_seconds: 30, repeat_seconds: 120, login_failures: 3, login_window_seconds: 60 },
    },
  });
});
afterEach(async () => {
  queue.stop();
  await http.close();
  db.cleanup();
});

const states = (events: { state: string; key: string }[]) => events.map((e) => `${e.state} ${e.key}`);

describe('the alert evaluator', () => {
  it('fires once after the threshold, repeats at the interval, survives a restart without re-firing, recovers', async () => {
    const { row } = await createGateway({ ctx: ctx(), input: { name: 'home', lan_networks: [] } });
    // In sync (version 0 is the current one): only the offline condition is in play.
    await db.db
      .update(gateways)
      .set({ lastSeenAt: new Date(clock), appliedVersion: 0 })
      .where(eq(gateways.id, row.id));
    const key = `gateway_offline:${row.id}`;
    let evaluator = new AlertEvaluator(ctx(), live(), queue);

    expect(await evaluator.tick()).toEqual([]); // seen offline, not yet for 30 s
    clock += 31_000;
    expect(states(await evaluator.tick())).toEqual([`firing ${key}`]);
    clock += 60_000;
    expect(await evaluator.tick()).toEqual([]);
    clock += 61_000;
    expect(states(await evaluator.tick())).toEqual([`repeat ${key}`]);

    // A restarted server reads the stored state: nothing fires again.
    evaluator = new AlertEvaluator(ctx(), live(), queue);
    clock += 10_000;
    expect(await evaluator.tick()).toEqual([]);

    online.add(row.id);
    clock += 5_000;
    expect(states(await evaluator.tick())).toEqual([`resolved ${key}`]);
    expect(await db.db.select().from(alertStates)).toEqual([]);
    await queue.drained();
    const bodies = http.on('/hook').map((r) => JSON.parse(r.body) as { state: string; key: string });
    expect(bodies.map((b) => b.state)).toEqual(['firing', 'repeat', 'resolved']);
  });

  it('a condition that ends before its threshold never fires nor recovers', async () => {
    const { row } = await createGateway({ ctx: ctx(), input: { name: 'blip', lan_networks: [] } });
    await db.db
      .update(gateways)
      .set({ lastSeenAt: new Date(clock), appliedVersion: 0 })
      .where(eq(gateways.id, row.id));
    const evaluator = new AlertEvaluator(ctx(), live(), queue);
    expect(await evaluator.tick()).toEqual([]);
    online.add(row.id);
    clock += 40_000;
    expect(await evaluator.tick()).toEqual([]);
    expect(await db.db.select().from(alertStates)).toEqual([]);
  });

  it('brute-force bursts: failed logins in the window fire login_burst', async () => {
    const evaluator = new AlertEvaluator(ctx(), live(), queue);
    for (let i = 0; i < 3; i++) {
      await db.db
        .insert(auditLog)
        .values({ at: new Date(clock - i * 1000), actor: 'system', action: 'auth.login_failed' });
    }
    expect(states(await evaluator.tick())).toEqual(['firing login_burst']);
    clock += 61_000;
    expect(states(await evaluator.tick())).toEqual(['resolved login_burst']);
  });

  it('peers without a handshake for N days, targets a gateway cannot reach, drift, certificates near expiry', async () => {
    const { row } = await createGateway({ ctx: ctx(), input: { name: 'lan', lan_networks: [] } });
    await db.db
      .update(gateways)
      .set({
        lastSeenAt: new Date(clock),
        appliedVersion: null,
        lastStatus: {
          applied_version: null,
          listeners: [],
          targets: [{ route_id: 3001, reachable: false, error: 'connect ECONNREFUSED' }],
        },
      })
      .where(eq(gateways.id, row.id));
    online.add(row.id);
    await updateRuntimeSettings({
      ctx: ctx(),
      input: { alerts: { target_down_seconds: 1, drift_seconds: 1, peer_unseen_days: 2 } },
    });
    await db.db.insert(peers).values({
      name: 'phone',
      publicKey: 'pk-phone',
      address: '10.8.0.9',
      dns: [],
      allowedIps: [],
      tags: [],
      createdAt: new Date(clock),
      updatedAt: new Date(clock),
    } as typeof peers.$inferInsert);
    const caddy = tempDir('gatehouse-caddy-');
    const certDir = path.join(caddy.dir, 'certificates', 'acme-v02.api.letsencrypt.org-directory', 'app.example.com');
    mkdirSync(certDir, { recursive: true });
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
        '5',
        '-subj',
        '/CN=app.example.com',
        '-keyout',
        path.join(certDir, 'app.example.com.key'),
        '-out',
        path.join(certDir, 'app.example.com.crt'),
      ],
      { stdio: 'ignore' },
    );
    try {
      clock = Date.now();
      const evaluator = new AlertEvaluator(
        ctx(),
        live({
          peerHandshakeAt: (pk) => (pk === 'pk-phone' ? new Date(clock - 3 * 86_400_000) : null),
          caddyDataDir: caddy.dir,
        }),
        queue,
      );
      // Certificates and peers fire at once; targets and drift after their 1 s threshold.
      const first = states(await evaluator.tick());
      clock += 2_000;
      const keys = [...first, ...states(await evaluator.tick())];
      expect(keys).toContain(`firing target_down:${row.id}:3001`);
      expect(keys).toContain(`firing config_drift:gateway:${row.id}`);
      expect(keys).toContain('firing certificate:app.example.com');
      expect(keys.filter((k) => k.startsWith('firing peer_unseen:'))).toHaveLength(1);
    } finally {
      caddy.cleanup();
    }
  });

  it('a failing database is itself an alert, delivered to the channels as last read', async () => {
    const evaluator = new AlertEvaluator(ctx(), live(), queue);
    for (let i = 0; i < 3; i++)
      await db.db.insert(auditLog).values({ at: new Date(clock), actor: 'system', action: 'auth.login_failed' });
    await evaluator.tick(); // the burst: the queue reads (and remembers) the channels
    await queue.drained();
    db.close();
    const events = await evaluator.tick();
    expect(states(events)).toEqual(['firing database']);
    await queue.drained();
    expect(http.on('/hook').map((r) => (JSON.parse(r.body) as { key: string }).key)).toContain('database');
  });
});
