// Real: the route-auth pure pieces (cookie stripping, return paths, host matching, IPv6 grouping, validation
// rules, TOTP steps with otpauth, the compiled forward-auth handler chain with its golden file).
// Simulated: database rows are built by a factory; time is passed in.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hostMatches, hostName, safeReturnPath, stripOurCookies } from '../../src/auth/route-cookies.ts';
import { ipKey } from '../../src/auth/route-throttle.ts';
import { controlPlaneDial } from '../../src/caddy/route-auth.ts';
import { compileSnapshot } from '../../src/caddy/snapshot.ts';
import type { Route } from '../../src/db/schema/routes.ts';
import type { Policy } from '../../src/policy/schema.ts';
import { routeAuthProblems, ssoDomainProblem } from '../../src/services/route-auth/rules.ts';
import { routeRow } from '../helpers/factories.ts';

const LOGIN_POLICY: Policy = { rules: [], default: 'allow', login: true };

const GOLDEN = new URL('../../caddy-module/snapshot/testdata/http-route-auth.json', import.meta.url).pathname;

function route(fields: Partial<Route>): Route {
  return routeRow({ id: 1, name: 'r', domain: 'app.example.com', targetHost: '10.0.0.2', targetPort: 8080, ...fields });
}

describe('stripOurCookies', () => {
  it('removes only __Host-gatehouse_* cookies and keeps the rest byte for byte, in order', () => {
    expect(stripOurCookies('a=1; __Host-gatehouse_auth=tok; b="x y"; __Host-gatehouse_csrf=c')).toBe('a=1; b="x y"');
    expect(stripOurCookies('__Host-gatehouse_auth=tok')).toBe('');
    expect(stripOurCookies('__Host-gatehouse_auth=tok;;  c=3 ')).toBe('c=3');
    expect(stripOurCookies('gatehouse_auth=keep; x__Host-gatehouse_auth=keep')).toBe(
      'gatehouse_auth=keep; x__Host-gatehouse_auth=keep',
    );
    expect(stripOurCookies(undefined)).toBe('');
  });

  it('removes the parent-domain SSO cookie and the waiting OIDC login too (the upstream never sees a token)', () => {
    expect(stripOurCookies('a=1; __Secure-gatehouse_sso=tok; __Host-gatehouse_oidc=p; __Secure-other=k')).toBe(
      'a=1; __Secure-other=k',
    );
  });
});

describe('ssoDomainProblem', () => {
  it.each([
    ['example.com', 'app.example.com', null],
    ['example.com', 'a.b.example.com', null],
    ['b.example.com', '*.b.example.com', null],
    ['example.com', '*.b.example.com', null],
    ['com', 'app.example.com', 'two labels'],
    ['app.example.com', 'app.example.com', 'parent domain'],
    ['ample.com', 'app.example.com', 'parent domain'],
    ['other.com', 'app.example.com', 'parent domain'],
    ['example.com', null, 'route domain'],
  ])('%s for %s', (parent, domain, problem) => {
    const found = ssoDomainProblem(parent, domain);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toContain(problem);
  });
});

describe('safeReturnPath', () => {
  it.each([
    ['/dash?x=1', '/dash?x=1'],
    ['//evil.example', '/'],
    ['/\\evil.example', '/'],
    ['https://evil.example/', '/'],
    ['/a\r\nSet-Cookie: x=1', '/'],
    ['/.gatehouse/logout', '/'],
    ['', '/'],
    [undefined, '/'],
  ])('%s → %s', (input, expected) => expect(safeReturnPath(input)).toBe(expected));
});

describe('hostMatches', () => {
  it('matches exact names and one label under a wildcard, ignoring ports and case', () => {
    expect(hostMatches('app.example.com', hostName('App.Example.com:8443'))).toBe(true);
    expect(hostMatches('app.example.com', 'other.example.com')).toBe(false);
    expect(hostMatches('*.example.com', 'a.example.com')).toBe(true);
    expect(hostMatches('*.example.com', 'a.b.example.com')).toBe(false);
    expect(hostMatches('*.example.com', 'example.com')).toBe(false);
    expect(hostMatches(null, 'a.example.com')).toBe(false);
  });
});

describe('ipKey', () => {
  it('keeps IPv4, reduces IPv4-mapped IPv6 and groups IPv6 by /64', () => {
    expect(ipKey('203.0.113.9')).toBe('203.0.113.9');
    expect(ipKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(ipKey('2001:db8:1:2:aaaa::1')).toBe(ipKey('2001:db8:1:2:bbbb::2'));
    expect(ipKey('2001:db8:1:2::1')).not.toBe(ipKey('2001:db8:1:3::1'));
    expect(ipKey('2001:0db8:0001:0002::1')).toBe('2001:db8:1:2::/64');
  });
});

describe('routeAuthProblems', () => {
  it('names the field for each wrong combination', () => {
    // A login in an L4 route's policy is the policy's problem (src/services/routes/access.ts), not named twice.
    expect(routeAuthProblems({ type: 'l4', authEnabled: true })).toEqual([]);
    expect(routeAuthProblems({ type: 'l4', basicAuthEnabled: true })).toEqual([
      { field: 'basic_auth_enabled', message: expect.any(String) },
    ]);
    expect(routeAuthProblems({ type: 'http', basicAuthEnabled: true })).toEqual([
      { field: 'basic_auth_enabled', message: expect.stringContaining('auth_enabled') },
    ]);
    expect(
      routeAuthProblems({ type: 'http', authEnabled: true, basicAuthEnabled: true, authMethod: 'password_totp' }),
    ).toEqual([{ field: 'basic_auth_enabled', message: expect.stringContaining('TOTP') }]);
    expect(
      routeAuthProblems({ type: 'http', authEnabled: true, basicAuthEnabled: true, authMethod: 'password' }),
    ).toEqual([]);
  });
});

describe('compiled forward auth', () => {
  const input = (routes: Route[], authEndpoint?: string) => ({
    version: 3,
    routes,
    peers: [],
    gateways: [],
    authEndpoint,
  });

  it('puts the header scrub, the /.gatehouse/ branch and the verify call before the upstream (golden)', () => {
    const snapshot = compileSnapshot(
      input(
        [
          route({
            id: 1,
            policy: LOGIN_POLICY,
            authPasswordHash: 'x',
            customHeaders: [{ name: 'X-A', value: 'b', direction: 'request' }],
          }),
          route({
            id: 2,
            domain: 'basic.example.com',
            policy: LOGIN_POLICY,
            basicAuthEnabled: true,
            authPasswordHash: 'x',
          }),
        ],
        controlPlaneDial({ host: '127.0.0.1', port: 3000 }),
      ),
    );
    const text = `${JSON.stringify(snapshot, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN || !existsSync(GOLDEN)) writeFileSync(GOLDEN, text);
    expect(text).toBe(readFileSync(GOLDEN, 'utf8'));
    const handle = snapshot.routes[0]!.http!.handle;
    // Identity headers stripped and a peer's set (identity-headers.ts), X-Gatehouse-* stripped, the login, custom
    // headers.
    expect(handle.map((h) => h.handler)).toEqual([
      'gatehouse_identity',
      'headers',
      'subroute',
      'headers',
      'reverse_proxy',
    ]);
    // The login pages and the verify call run only for clients whose allow needs the login.
    expect((handle[2] as { routes: { match: unknown }[] }).routes[0]!.match).toEqual([
      { vars: { gatehouse_login: ['1'] } },
    ]);
    expect(JSON.stringify(handle[2])).not.toContain('Authorization');
    expect(JSON.stringify(snapshot.routes[1]!.http!.handle[2])).toContain('Authorization');
  });

  it('leaves routes without auth as they were, and auth routes out when there is no control plane to ask', () => {
    const plain = route({ id: 5 });
    expect(compileSnapshot(input([plain], '127.0.0.1:3000'))).toEqual(compileSnapshot(input([plain])));
    expect(compileSnapshot(input([route({ id: 6, policy: LOGIN_POLICY })])).routes).toEqual([]);
    // A login on one rule only is a login too.
    const ruleLogin = route({
      id: 7,
      policy: {
        rules: [{ action: 'allow', login: true, conditions: [{ type: 'country', values: ['DE'] }] }],
        default: 'deny',
      },
    });
    expect(compileSnapshot(input([ruleLogin])).routes).toEqual([]);
  });

  it('dials a wildcard listen address over loopback', () => {
    expect(controlPlaneDial({ host: '0.0.0.0', port: 3000 })).toBe('127.0.0.1:3000');
    expect(controlPlaneDial({ host: '::', port: 3000 })).toBe('[::1]:3000');
    expect(controlPlaneDial({ host: '127.0.0.1', port: 8080 })).toBe('127.0.0.1:8080');
  });
});
