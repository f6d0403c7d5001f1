// Real: the `wg show <if> dump` parser on captured output (format of wireguard-tools 1.0.20210914).
// Simulated: the command's output (fixtures below, keys are made up).
import { describe, expect, it } from 'vitest';
import { parseDump } from '../../src/wireguard/dump.ts';

const PRIV = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const PUB = 'HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=';
const P1 = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const P2 = 'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=';

const sample = [
  `${PRIV}\t${PUB}\t51820\toff`,
  `${P1}\t(none)\t203.0.113.7:41414\t10.8.0.2/32\t1795300000\t123456\t7890\toff`,
  `${P2}\tpskpskpskpskpskpskpskpskpskpskpskpskpskpskp=\t(none)\t10.8.0.3/32,192.168.1.0/24\t0\t0\t0\t25`,
  '',
].join('\n');

describe('parseDump', () => {
  it('reads the interface and each peer', () => {
    const dump = parseDump(sample);
    expect(dump.publicKey).toBe(PUB);
    expect(dump.listenPort).toBe(51820);
    expect(dump.peers).toEqual([
      {
        publicKey: P1,
        endpoint: '203.0.113.7:41414',
        allowedIps: ['10.8.0.2/32'],
        latestHandshake: new Date(1795300000 * 1000),
        rxBytes: 123456,
        txBytes: 7890,
        persistentKeepalive: null,
      },
      {
        publicKey: P2,
        endpoint: null,
        allowedIps: ['10.8.0.3/32', '192.168.1.0/24'],
        latestHandshake: null,
        rxBytes: 0,
        txBytes: 0,
        persistentKeepalive: 25,
      },
    ]);
  });

  it('never carries the private key or a preshared key onward', () => {
    const text = JSON.stringify(parseDump(sample));
    expect(text).not.toContain(PRIV);
    expect(text).not.toContain('pskpsk');
  });

  it('handles an interface without peers, key or port', () => {
    expect(parseDump('(none)\t(none)\t0\toff\n')).toEqual({ publicKey: null, listenPort: null, peers: [] });
  });

  it('handles byte counters beyond 32 bits', () => {
    const dump = parseDump(
      `${PRIV}\t${PUB}\t51820\toff\n${P1}\t(none)\t(none)\t(none)\t0\t8589934592\t4294967296\toff\n`,
    );
    expect(dump.peers[0]).toMatchObject({ rxBytes: 8589934592, txBytes: 4294967296, allowedIps: [] });
  });

  it.each([
    ['', /empty output/],
    ['a\tb\tc', /line 1: expected 4 interface fields/],
    [`${PRIV}\t${PUB}\t51820\toff\n${P1}\t(none)\t(none)`, /line 2: expected 8 peer fields/],
    [`${PRIV}\t${PUB}\t51820\toff\n${P1}\t(none)\t(none)\t(none)\t0\tmany\t0\toff`, /line 2: rx bytes is not a number/],
  ])('rejects malformed output %#', (text, message) => {
    expect(() => parseDump(text)).toThrow(message);
  });
});
