// Real: the control plane in-process, the real Caddy binary with the gatehouse module (its policy engine and
// POST /gatehouse/v1/explain), a MaxMind-format country database written by our mkmmdb tool, the REST API.
// Simulated: "countries" are loopback addresses mapped by the test mmdb. No traffic is sent: explain decides
// without a request, with the code that enforces.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTestMmdb } from '../helpers/caddy.ts';
import { tempDir } from '../helpers/env.ts';
import { type Stack, startStack } from '../helpers/stack.ts';

const DE = '127.0.0.10';
const US = '127.0.0.11';
let stack: Stack;
let mmdbDir: ReturnType<typeof tempDir>;

beforeAll(async () => {
  mmdbDir = tempDir();
  const mmdb = writeTestMmdb(path.join(mmdbDir.dir, 'countries.mmdb'), { [`${DE}/32`]: 'DE', [`${US}/32`]: 'US' });
  stack = await startStack({ GATEHOUSE_GEOIP_DB: mmdb });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  mmdbDir?.cleanup();
});

const officeHours = {
  type: 'time',
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  from: '08:00',
  to: '18:00',
  tz: 'Europe/Berlin',
};
const policy = {
  default: 'deny',
  rate_limit: { requests: 5, window: '1m' },
  rules: [
    {
      action: 'deny',
      name: 'no admin from abroad',
      conditions: [
        { type: 'path_prefix', values: ['/admin'] },
        { type: 'country', not: true, values: ['DE'] },
      ],
    },
    {
      action: 'allow',
      name: 'Germany in office hours',
      login: true,
      conditions: [{ type: 'country', values: ['DE'] }, officeHours],
    },
  ],
};

describe('policy explain against the real data plane', () => {
  let id: number;
  it('saves the policy and explains it by address, time, method and path', async () => {
    const created = await stack.request('POST', '/api/v1/policies', { name: 'office', policy });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    id = created.body.id;
    const ask = async (q: Record<string, string>) => {
      const res = await stack.request('POST', `/api/v1/policies/${id}/explain`, q);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body;
    };
    // Monday 09:30 in Berlin (08:30 UTC): rule 2 lets DE in, after the login.
    const monday = await ask({ ip: DE, at: '2026-11-30T08:30:00Z' });
    expect(monday).toMatchObject({
      policy: 'office',
      decision: { allowed: true, check: 'rule', rule_index: 1, login: true },
    });
    expect(monday.decision.rule).toContain('allow');
    expect(monday.decision.rate_limit).toMatchObject({ requests: 5, window: '1m', used: 0 });
    // Monday 19:30 in Berlin: no rule holds, the default denies.
    expect(await ask({ ip: DE, at: '2026-11-30T18:30:00Z' })).toMatchObject({
      decision: { allowed: false, check: 'default', rule_index: null },
    });
    // /admin from the US: rule 1 denies whatever the time.
    expect(await ask({ ip: US, at: '2026-11-30T08:30:00Z', path: '/admin/users', method: 'get' })).toMatchObject({
      decision: { allowed: false, check: 'rule', rule_index: 0 },
    });
  });

  it('explains an unsaved policy the same way, and as L4', async () => {
    const res = await stack.request('POST', '/api/v1/policies/explain', {
      ip: US,
      kind: 'l4',
      policy: { default: 'deny', rules: [{ action: 'allow', conditions: [{ type: 'country', values: ['US'] }] }] },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ kind: 'l4', decision: { allowed: true, check: 'rule', rule_index: 0 } });
    const l4 = await stack.request('POST', '/api/v1/policies/explain', { ip: US, kind: 'l4', policy });
    expect(l4.status).toBe(422);
  });
});
