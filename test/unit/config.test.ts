// Real: the zod env schema and loadConfig. Simulated: the environment (plain objects, not process.env).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { staticCaddyConfig } from '../../src/caddy/static-config.ts';
import { ConfigError, DEFAULT_BLOCKED_PORTS, defaultDataDir, loadConfig } from '../../src/config/index.ts';

function problems(env: Record<string, string>) {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives working defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 3000 });
    expect(config.db.url).toBe(`file:${path.join(config.dataDir, 'gatehouse.db')}`);
    expect(path.isAbsolute(config.dataDir)).toBe(true);
    expect(config.wireguard).toMatchObject({ address: '10.8.0.1', prefix: 24, port: 51820, interface: 'gh0' });
    expect(config.caddy.adminSocket).toBe(path.join(config.dataDir, 'caddy-admin.sock'));
    for (const port of DEFAULT_BLOCKED_PORTS) expect(config.l4.blockedPorts).toContain(port);
  });

  it('adds our own ports to the blocked list', () => {
    const config = loadConfig({
      GATEHOUSE_L4_BLOCKED_PORTS: '25',
      GATEHOUSE_LISTEN: '127.0.0.1:4100',
      GATEHOUSE_HTTPS_PORT: '8443',
    });
    expect(config.l4.blockedPorts).toEqual(expect.arrayContaining([25, 4100, 8443, 51820]));
    expect(config.l4.blockedPorts).not.toContain(22);
  });

  it('normalises the public domain; the WireGuard endpoint field is GATEHOUSE_WG_ENDPOINT alone', () => {
    const config = loadConfig({ GATEHOUSE_PUBLIC_DOMAIN: 'Gate.Example.COM.' });
    expect(config.publicDomain).toBe('gate.example.com');
    // The public domain is the fallback after the wg_endpoint setting (services/settings/wg-endpoint.ts).
    expect(config.wireguard.endpoint).toBeUndefined();
    expect(loadConfig({ GATEHOUSE_WG_ENDPOINT: '203.0.113.5:51000' }).wireguard.endpoint).toBe('203.0.113.5:51000');
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ GATEHOUSE_WG_PORT: '' }).wireguard.port).toBe(51820);
  });

  it.each([
    ['GATEHOUSE_WG_PORT', 'abc', 'must be a number'],
    ['GATEHOUSE_WG_PORT', '70000', 'between 1 and 65535'],
    ['GATEHOUSE_LISTEN', 'localhost', 'host:port'],
    ['GATEHOUSE_WG_ADDRESS', '10.8.0.1', 'prefix'],
    ['GATEHOUSE_WG_ADDRESS', '300.1.1.1/24', 'IPv4'],
    ['GATEHOUSE_L4_BLOCKED_PORTS', '22,x,80', '"x" is not a port'],
    ['GATEHOUSE_DB_URL', 'postgres://x', 'must start with file:'],
    ['GATEHOUSE_PUBLIC_DOMAIN', 'not a domain', 'fully qualified domain'],
    ['GATEHOUSE_LOG_LEVEL', 'loud', 'Invalid option'],
    ['GATEHOUSE_ADMIN_PASSWORD', 'short', 'at least 12'],
    ['GATEHOUSE_TLS_ISSUER', 'letsencrypt', 'Invalid option'],
    ['GATEHOUSE_WG_INTERFACE', 'this-name-is-far-too-long', '1–15'],
  ])('rejects %s=%s naming the variable and the reason', (variable, value, reason) => {
    const found = problems({ [variable]: value });
    expect(found).toHaveLength(1);
    expect(found[0]!.variable).toBe(variable);
    expect(found[0]!.message).toContain(reason);
  });

  it('reports every bad variable at once', () => {
    const found = problems({ GATEHOUSE_WG_PORT: '0', GATEHOUSE_HTTP_PORT: 'x' });
    expect(found.map((p) => p.variable).sort()).toEqual(['GATEHOUSE_HTTP_PORT', 'GATEHOUSE_WG_PORT']);
    expect(() => loadConfig({ GATEHOUSE_WG_PORT: '0' })).toThrow(/GATEHOUSE_WG_PORT: must be between 1 and 65535/);
  });
});

describe('GeoIP database', () => {
  it('defaults to the bundled CC0 country database, and a configured path replaces it', () => {
    expect(loadConfig({}).geoipDb).toMatch(/geo-whois-asn-country-mmdb\/geo-whois-asn-country\.mmdb$/);
    expect(loadConfig({ GATEHOUSE_GEOIP_DB: '/srv/GeoLite2-Country.mmdb' }).geoipDb).toBe('/srv/GeoLite2-Country.mmdb');
  });

  it('the ASN database is bin/asn.mmdb when built, a configured path replaces it, and Caddy is told', () => {
    const asnDb = loadConfig({}).asnDb;
    expect(asnDb === undefined || asnDb.endsWith('/bin/asn.mmdb')).toBe(true);
    const config = loadConfig({ GATEHOUSE_ASN_DB: '/srv/GeoLite2-ASN.mmdb' });
    expect(config.asnDb).toBe('/srv/GeoLite2-ASN.mmdb');
    const apps = staticCaddyConfig({ ...config, l4ListenHost: '', publicDomain: undefined }).apps as Record<
      string,
      Record<string, unknown>
    >;
    expect(apps.gatehouse?.asn_db).toBe('/srv/GeoLite2-ASN.mmdb');
  });
});

// Issue 17: a private ACME CA is an outbound target like an OpenID provider (SECURITY.md): HTTPS, or HTTP on loopback.
describe('GATEHOUSE_ACME_CA_URL', () => {
  const issuers = (env: Record<string, string>) => {
    const config = loadConfig(env);
    const tls = (staticCaddyConfig({ ...config, l4ListenHost: '', publicDomain: undefined }).apps as any).tls;
    return tls.automation.policies.map((p: { issuers: unknown[] }) => p.issuers[0]);
  };

  it('points the acme issuer at the CA; unset keeps the default CAs of Caddy', () => {
    expect(issuers({ GATEHOUSE_ACME_CA_URL: ' https://ca.example.com/acme/directory ' })).toEqual([
      { module: 'acme', ca: 'https://ca.example.com/acme/directory' },
    ]);
    expect(issuers({ GATEHOUSE_ACME_CA_URL: 'http://127.0.0.1:14000/dir' })[0].ca).toBe('http://127.0.0.1:14000/dir');
    expect(issuers({ GATEHOUSE_ACME_CA_URL: 'http://[::1]:14000/dir' })[0].ca).toBe('http://[::1]:14000/dir');
    expect(issuers({})).toEqual([{ module: 'acme' }]);
  });

  it.each([
    ['http://ca.example.com/dir', 'plain http:// only to a CA on loopback'],
    ['http://10.0.0.5/dir', 'plain http:// only to a CA on loopback'],
    ['http://127.0.0.1.nip.io/dir', 'plain http:// only to a CA on loopback'],
    ['ftp://ca.example.com/dir', 'https://'],
    ['file:///etc/passwd', 'https://'],
    ['ca.example.com/dir', 'must be a URL'],
    ['https://user:pw@ca.example.com/dir', 'user name or password'],
    ['https://ca.example.com/dir#x', 'fragment'],
    ['https://ca.example.com/{env.GATEHOUSE_SECRET_KEY}', 'placeholders'],
    ['https://ca.example.com/a b', 'spaces or control characters'],
    ['https://ca.example.com/\u0000', 'spaces or control characters'],
    [`https://ca.example.com/${'a'.repeat(2100)}`, 'at most 2048'],
  ])('refuses %s naming the variable', (value, reason) => {
    const found = problems({ GATEHOUSE_ACME_CA_URL: value });
    expect(found).toHaveLength(1);
    expect(found[0]!.variable).toBe('GATEHOUSE_ACME_CA_URL');
    expect(found[0]!.message).toContain(reason);
  });
});

// Issue 14 item 5: the data dir and the Caddy binary never depend on the working directory.
describe('defaults independent of the working directory', () => {
  const host = (uid: number, writable = true) => ({ uid, home: '/home/ada', writable: () => writable });

  it('root with a writable /var/lib uses /var/lib/gatehouse', () => {
    expect(defaultDataDir({}, host(0))).toBe('/var/lib/gatehouse');
  });

  it('a user gets $XDG_DATA_HOME/gatehouse, else ~/.local/share/gatehouse; a relative XDG_DATA_HOME is ignored', () => {
    expect(defaultDataDir({ XDG_DATA_HOME: '/data/x' }, host(1000))).toBe('/data/x/gatehouse');
    expect(defaultDataDir({}, host(1000))).toBe('/home/ada/.local/share/gatehouse');
    expect(defaultDataDir({ XDG_DATA_HOME: 'rel/../x' }, host(1000))).toBe('/home/ada/.local/share/gatehouse');
    expect(defaultDataDir({}, host(0, false))).toBe('/home/ada/.local/share/gatehouse');
  });

  it('an explicit GATEHOUSE_DATA_DIR (even ./.data) wins and is made absolute', () => {
    expect(loadConfig({ GATEHOUSE_DATA_DIR: './.data' }).dataDir).toBe(path.resolve('.data'));
  });

  it('Caddy defaults to bin/caddy of this installation, not of the working directory', () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const cwd = process.cwd();
    process.chdir('/');
    try {
      expect(loadConfig({}).caddy.bin).toBe(path.join(root, 'bin', 'caddy'));
    } finally {
      process.chdir(cwd);
    }
  });
});
