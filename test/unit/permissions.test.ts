// Issue 16 (administrators): the permission table's matching and the passkey inputs, without a server.
import { describe, expect, it } from 'vitest';
import { withoutForbidden } from '../../src/dashboard/shared/role-filter.ts';
import { API_PERMISSIONS, DASHBOARD_PERMISSIONS, listedPermission, permissionFor } from '../../src/http/permissions.ts';
import { ChallengeStore } from '../../src/services/passkeys/challenges.ts';
import { passkeyName } from '../../src/services/passkeys/index.ts';

describe('permissionFor', () => {
  it.each([
    ['GET', '/api/v1/peers', 'viewer'],
    ['GET', '/api/v1/peers/', 'viewer'],
    ['GET', '/api/v1/peers/12', 'viewer'],
    ['GET', '/api/v1/peers/12/config', 'operator'],
    ['HEAD', '/api/v1/peers/12', 'viewer'],
    ['POST', '/api/v1/peers', 'operator'],
    ['DELETE', '/api/v1/users/3', 'admin'],
    ['GET', '/api/v1/tokens', 'admin'],
    ['POST', '/api/v1/auth/login', 'public'],
    ['GET', '/api/v1/gateway/events', 'gateway'],
  ] as const)('%s %s needs %s', (method, path, need) => {
    expect(permissionFor(API_PERMISSIONS, method, path)).toBe(need);
  });

  it.each([
    ['GET', '/api/v1/peers/12/secrets'],
    ['GET', '/api/v1/peers/12/config/extra'],
    ['OPTIONS', '/api/v1/peers'],
    ['GET', '/api/v1/PEERS'],
    ['GET', '/api/v1/peers/../tokens'],
    ['TRACE', '/api/v1/me'],
    ['GET', '/api/v1/users/1/invite'],
    ['GET', ''],
  ])('needs an owner for what the table does not list: %s %s', (method, path) => {
    expect(listedPermission(API_PERMISSIONS, method, path)).toBeUndefined();
    expect(permissionFor(API_PERMISSIONS, method, path)).toBe('owner');
  });

  it('reads exact dashboard paths before patterns (/peers/new is a form, /peers/{id} a page)', () => {
    expect(permissionFor(DASHBOARD_PERMISSIONS, 'GET', '/peers/new')).toBe('operator');
    expect(permissionFor(DASHBOARD_PERMISSIONS, 'GET', '/peers/7')).toBe('viewer');
    expect(permissionFor(DASHBOARD_PERMISSIONS, 'POST', '/users/7/role')).toBe('admin');
    expect(permissionFor(DASHBOARD_PERMISSIONS, 'GET', '/somewhere-new')).toBe('owner');
  });
});

describe('withoutForbidden', () => {
  const html =
    '<a href="/peers">Peers</a><a href="/users">Users</a><form method="post" action="/peers/1/toggle"><button>Off</button></form>' +
    '<form method="get" action="/peers"><input name="q"></form><a href="https://example.com/">out</a>';
  it('leaves out the links and forms the role cannot use, and keeps the rest', () => {
    const viewer = withoutForbidden(html, 'viewer');
    expect(viewer).toContain('href="/peers"');
    expect(viewer).not.toContain('href="/users"');
    expect(viewer).not.toContain('/toggle');
    expect(viewer).toContain('method="get"');
    expect(viewer).toContain('https://example.com/');
    expect(withoutForbidden(html, 'operator')).toContain('/toggle');
    expect(withoutForbidden(html, 'owner')).toBe(html);
  });
});

describe('passkey names', () => {
  it.each([
    '',
    '   ',
    'x'.repeat(65),
    'tab\there',
    'new\nline',
    'rtl\u202eevil',
    'nul\u0000',
    42,
    null,
  ])('refuses %j with a field error', (raw) => {
    expect(() => passkeyName(raw)).toThrow(expect.objectContaining({ code: 'validation_failed' }));
  });
  it('trims and normalises a good one', () => {
    expect(passkeyName('  Cafe\u0301 key ')).toBe('Café key');
    expect(passkeyName('🔑 YubiKey 5')).toBe('🔑 YubiKey 5');
  });
});

describe('ChallengeStore', () => {
  it('gives a challenge once, forgets it after the TTL and keeps at most `max`', () => {
    const store = new ChallengeStore(1000, 2);
    store.put('a', 'ca', 0);
    expect(store.take('a', 10)?.challenge).toBe('ca');
    expect(store.take('a', 10)).toBeUndefined();
    store.put('b', 'cb', 0);
    expect(store.take('b', 1000)).toBeUndefined();
    store.put('c', 'cc', 0);
    store.put('d', 'cd', 0);
    store.put('e', 'ce', 0);
    expect(store.take('c', 1)).toBeUndefined();
    expect(store.take('e', 1)?.challenge).toBe('ce');
  });
});
