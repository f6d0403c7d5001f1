// Real: the peer service verbs on a migrated libSQL temp file (transactions, UNIQUE constraints, retries),
// the expiry job with an injected clock, and the removal hooks. Simulated: the WireGuard interface (a
// recording stand-in, test/helpers/peer-network.ts) and time.
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/index.ts';
import { ConflictError, UnavailableError, ValidationError } from '../../src/errors.ts';
import { createPeer } from '../../src/services/peers/create.ts';
import { disableExpiredPeers, PeerExpiryJob } from '../../src/services/peers/expire.ts';
import type { PeerChangedEvent, PeerRemovedEvent } from '../../src/services/peers/hooks.ts';
import { listPeers } from '../../src/services/peers/list.ts';
import { removePeer } from '../../src/services/peers/remove.ts';
import { updatePeer } from '../../src/services/peers/update.ts';
import { silentLogger, systemContext, testDb } from '../helpers/env.ts';
import { recordingPeerDeps } from '../helpers/peer-network.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function setup(opts: { prefix?: number; now?: () => Date } = {}) {
  const handle = await testDb();
  cleanups.push(handle.cleanup);
  const config: Config = { ...handle.config, wireguard: { ...handle.config.wireguard, prefix: opts.prefix ?? 24 } };
  const ctx = systemContext({ db: handle.db, config }, opts.now);
  const deps = recordingPeerDeps();
  return { handle, ctx, deps, network: deps.network };
}

const base = { enabled: true, tags: [] as string[], is_gateway: false };

describe('address allocation', () => {
  it('hands out the lowest free address and reuses freed ones', async () => {
    const { ctx, deps } = await setup();
    const a = await createPeer({ ctx, deps, input: { ...base, name: 'a' } });
    const b = await createPeer({ ctx, deps, input: { ...base, name: 'b' } });
    expect([a.address, b.address]).toEqual(['10.8.0.2', '10.8.0.3']);
    await removePeer({ ctx, deps, input: { id: a.id } });
    expect((await createPeer({ ctx, deps, input: { ...base, name: 'c' } })).address).toBe('10.8.0.2');
  });

  it('gives 60 concurrent creates 60 different addresses', async () => {
    const { ctx, deps, network } = await setup();
    const created = await Promise.all(
      Array.from({ length: 60 }, (_, i) => createPeer({ ctx, deps, input: { ...base, name: `peer-${i}` } })),
    );
    const addresses = new Set(created.map((p) => p.address));
    expect(addresses.size).toBe(60);
    for (let n = 2; n <= 61; n++) expect(addresses.has(`10.8.0.${n}`)).toBe(true);
    // Applies are serialised by the write lock: the last one carries every peer.
    expect(network.applied.at(-1)).toHaveLength(60);
  });

  it('fills a full subnet under concurrency and refuses the rest with 409', async () => {
    const { ctx, deps } = await setup({ prefix: 28 }); // 16 addresses: 13 for peers
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => createPeer({ ctx, deps, input: { ...base, name: `p${i}` } })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(13);
    expect(failed).toHaveLength(7);
    for (const f of failed) {
      expect(f.reason).toBeInstanceOf(ConflictError);
      expect((f.reason as Error).message).toContain('10.8.0.0/28 is full (13 peers)');
    }
    const list = await listPeers({ ctx, deps, input: { limit: 50, offset: 0 } });
    expect(new Set(list.data.map((p) => p.address)).size).toBe(13);
  });

  it('names the field for an address outside the subnet and the peer holding a taken one', async () => {
    const { ctx, deps } = await setup();
    const a = await createPeer({ ctx, deps, input: { ...base, name: 'a', address: '10.8.0.50' } });
    const outside = await createPeer({ ctx, deps, input: { ...base, name: 'x', address: '10.9.0.5' } }).catch((e) => e);
    expect(outside).toBeInstanceOf(ValidationError);
    expect((outside as ValidationError).issues).toEqual([
      { field: 'address', message: 'must be inside the VPN subnet 10.8.0.0/24' },
    ]);
    const taken = await createPeer({ ctx, deps, input: { ...base, name: 'y', address: '10.8.0.50' } }).catch((e) => e);
    expect(taken).toBeInstanceOf(ConflictError);
    expect((taken as ConflictError).details).toMatchObject({ field: 'address', peer_id: a.id });
  });
});

describe('applying to the interface', () => {
  it('carries enabled, unexpired peers only, and rolls back when WireGuard refuses', async () => {
    const { ctx, deps, network } = await setup();
    const a = await createPeer({ ctx, deps, input: { ...base, name: 'a' } });
    await createPeer({ ctx, deps, input: { ...base, name: 'off', enabled: false } });
    expect(network.current).toEqual([a.public_key]);

    network.failNextApply = 'wg syncconf gh0 /dev/stdin: exited with code 1: Line unrecognized';
    const err = await createPeer({ ctx, deps, input: { ...base, name: 'doomed' } }).catch((e) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toContain('nothing was saved');
    const list = await listPeers({ ctx, deps, input: { limit: 50, offset: 0, q: 'doomed' } });
    expect(list.data).toEqual([]);
  });

  it('stores peers without applying anything while WireGuard is down', async () => {
    const { ctx, deps, network } = await setup();
    network.up = false;
    await createPeer({ ctx, deps, input: { ...base, name: 'a' } });
    expect(network.applied).toEqual([]);
  });
});

describe('removal hooks (the seam for route ACLs)', () => {
  it('fires inside the transaction on disable, delete and expiry; a failing hook rolls back', async () => {
    let now = new Date('2026-11-21T12:00:00Z');
    const { ctx, deps, network } = await setup({ now: () => now });
    const removed: PeerRemovedEvent[] = [];
    const changed: PeerChangedEvent[] = [];
    deps.hooks.onPeerRemoved(async (_tx, e) => {
      removed.push(e);
    });
    deps.hooks.onPeerChanged(async (_tx, e) => {
      changed.push(e);
    });
    const a = await createPeer({ ctx, deps, input: { ...base, name: 'a' } });
    const b = await createPeer({ ctx, deps, input: { ...base, name: 'b', expires_at: '2026-11-21T13:00:00Z' } });
    await updatePeer({ ctx, deps, input: { id: a.id, changes: { tags: ['staff'] } } });
    await updatePeer({ ctx, deps, input: { id: a.id, changes: { enabled: false } } });
    expect(network.current).toEqual([b.public_key]);

    now = new Date('2026-11-21T14:00:00Z');
    expect(await disableExpiredPeers({ ctx, deps })).toEqual([b.id]);
    expect(network.current).toEqual([]);
    await removePeer({ ctx, deps, input: { id: a.id } });

    expect(removed).toEqual([
      { peerIds: [a.id], reason: 'disabled' },
      { peerIds: [b.id], reason: 'expired' },
      { peerIds: [a.id], reason: 'deleted' },
    ]);
    expect(changed.map((e) => e.change)).toEqual(['created', 'created', 'updated', 'disabled', 'expired', 'deleted']);

    // A hook that fails (say Caddy refused the recompiled snapshot) undoes the peer change too.
    const c = await createPeer({ ctx, deps, input: { ...base, name: 'c' } });
    const off = deps.hooks.onPeerRemoved(async () => {
      throw new Error('data plane refused');
    });
    await expect(removePeer({ ctx, deps, input: { id: c.id } })).rejects.toThrow('data plane refused');
    off();
    expect((await listPeers({ ctx, deps, input: { limit: 50, offset: 0 } })).data.map((p) => p.name)).toEqual([
      'b',
      'c',
    ]);
  });
});

describe('expiry job', () => {
  it('disables peers once their time has come, with an injected clock, and stops cleanly', async () => {
    let now = new Date('2026-11-21T12:00:00Z');
    const { ctx, deps } = await setup({ now: () => now });
    const p = await createPeer({ ctx, deps, input: { ...base, name: 'temp', expires_at: '2026-11-21T12:30:00Z' } });
    const job = new PeerExpiryJob({ ctx, deps, intervalMs: 3_600_000, logger: silentLogger });
    job.start();
    expect(await job.runOnce()).toEqual([]);
    now = new Date('2026-11-21T12:30:00Z');
    expect(await job.runOnce()).toEqual([p.id]);
    expect(await job.runOnce()).toEqual([]);
    await job.stop();
    const [row] = (await listPeers({ ctx, deps, input: { limit: 1, offset: 0 } })).data;
    expect(row!.enabled).toBe(false);

    // Enabling it again needs a later expiry.
    const err = await updatePeer({ ctx, deps, input: { id: p.id, changes: { enabled: true } } }).catch((e) => e);
    expect((err as ValidationError).issues[0]!.field).toBe('expires_at');
    const back = await updatePeer({ ctx, deps, input: { id: p.id, changes: { enabled: true, expires_at: null } } });
    expect(back.enabled).toBe(true);
  });
});
