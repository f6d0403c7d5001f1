// Real: the server (wg syncconf) and client (wg-quick) config renderers, compared with golden files in
// test/unit/golden/ (regenerate with UPDATE_GOLDEN=1 and review the diff). Simulated: nothing; keys are fixed.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configFilename } from '../../src/services/peers/config.ts';
import { type ClientConfSpec, formatEndpoint, renderClientConf, renderServerConf } from '../../src/wireguard/conf.ts';

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'golden');

function golden(name: string, actual: string) {
  const file = path.join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, actual);
  if (!existsSync(file)) throw new Error(`missing golden file ${file}; run with UPDATE_GOLDEN=1 and review it`);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

const SERVER_PRIV = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const SERVER_PUB = 'HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=';
const PEER_PRIV = 'gI6EdUSYvn8ugXOt8QQD6Yc+JyiZxIhp3GInSWRfWGE=';
const PEER_PUB = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const PSK = 'FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=';

const client: ClientConfSpec = {
  name: 'alice-laptop',
  privateKey: PEER_PRIV,
  address: '10.8.0.2',
  dns: ['1.1.1.1', '9.9.9.9'],
  presharedKey: PSK,
  allowedIps: ['0.0.0.0/0'],
  persistentKeepalive: null,
  serverPublicKey: SERVER_PUB,
  endpoint: 'vpn.example.com:51820',
};

describe('renderServerConf', () => {
  it('matches golden/server.conf', () => {
    golden(
      'server.conf',
      renderServerConf({
        privateKey: SERVER_PRIV,
        listenPort: 51820,
        peers: [
          { publicKey: PEER_PUB, presharedKey: PSK, address: '10.8.0.2' },
          { publicKey: 'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=', presharedKey: null, address: '10.8.0.3' },
        ],
      }),
    );
  });

  it('renders an interface without peers', () => {
    expect(renderServerConf({ privateKey: SERVER_PRIV, listenPort: 1234, peers: [] })).toBe(
      `[Interface]\nPrivateKey = ${SERVER_PRIV}\nListenPort = 1234\n`,
    );
  });
});

describe('renderClientConf', () => {
  it('full tunnel: matches golden/client-full.conf', () => {
    golden('client-full.conf', renderClientConf(client));
  });

  it('split tunnel with keepalive: matches golden/client-split.conf', () => {
    golden(
      'client-split.conf',
      renderClientConf({
        ...client,
        name: 'office-gw',
        allowedIps: ['10.8.0.0/24', '192.168.1.0/24'],
        persistentKeepalive: 25,
      }),
    );
  });

  it('own key pair, no DNS, no preshared key: matches golden/client-byo-key.conf', () => {
    golden('client-byo-key.conf', renderClientConf({ ...client, privateKey: null, dns: [], presharedKey: null }));
  });

  it('keeps a name with line breaks on its comment line', () => {
    expect(renderClientConf({ ...client, name: 'a\nPrivateKey = x' }).split('\n')[0]).toBe(
      '# Gatehouse peer "a PrivateKey = x"',
    );
  });
});

describe('formatEndpoint and configFilename', () => {
  it.each([
    ['vpn.example.com', 'vpn.example.com:51820'],
    ['203.0.113.5', '203.0.113.5:51820'],
    ['2001:db8::1', '[2001:db8::1]:51820'],
    ['vpn.example.com:4500', 'vpn.example.com:4500'],
    ['[2001:db8::1]:4500', '[2001:db8::1]:4500'],
  ])('%s → %s', (host, expected) => {
    expect(formatEndpoint(host, 51820)).toBe(expected);
  });

  it('makes file names wg-quick accepts as interface names', () => {
    expect(configFilename('alice-laptop')).toBe('alice-laptop.conf');
    expect(configFilename('Büro Drucker "2"')).toBe('B-ro-Drucker-2.conf');
    expect(configFilename('a-very-long-peer-name-indeed')).toBe('a-very-long-pee.conf');
    expect(configFilename('ÄÖÜ')).toBe('wg0.conf');
  });
});
