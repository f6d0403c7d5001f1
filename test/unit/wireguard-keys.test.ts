// Real: node:crypto X25519 key generation, and the real `wg pubkey` when wg is installed (skipped with a
// reason otherwise). Simulated: nothing.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findOnPath } from '../../src/wireguard/availability.ts';
import {
  generateKeyPair,
  generatePresharedKey,
  isWireGuardKey,
  publicKeyFromPrivate,
} from '../../src/wireguard/keys.ts';

const wg = await findOnPath('wg');

describe('WireGuard keys', () => {
  it('generates base64 32-byte keys, clamped like wg genkey', () => {
    const pair = generateKeyPair();
    expect(isWireGuardKey(pair.privateKey)).toBe(true);
    expect(isWireGuardKey(pair.publicKey)).toBe(true);
    const raw = Buffer.from(pair.privateKey, 'base64');
    expect(raw[0]! & 7).toBe(0);
    expect(raw[31]! & 0x80).toBe(0);
    expect(raw[31]! & 0x40).toBe(0x40);
    expect(publicKeyFromPrivate(pair.privateKey)).toBe(pair.publicKey);
    expect(generateKeyPair().privateKey).not.toBe(pair.privateKey);
    expect(isWireGuardKey(generatePresharedKey())).toBe(true);
  });

  it.each([
    ['', false],
    ['not a key', false],
    ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', true],
    ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=', false], // non-zero padding bits: not canonical base64
    ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', false],
    ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==', false], // 31 bytes
  ])('isWireGuardKey(%j) is %s', (value, ok) => {
    expect(isWireGuardKey(value)).toBe(ok);
  });

  it.skipIf(!wg)('agrees with `wg pubkey` in both directions', () => {
    for (let i = 0; i < 5; i++) {
      const ours = generateKeyPair();
      expect(
        execFileSync('wg', ['pubkey'], { input: `${ours.privateKey}\n` })
          .toString()
          .trim(),
      ).toBe(ours.publicKey);
      const theirs = execFileSync('wg', ['genkey']).toString().trim();
      const theirPublic = execFileSync('wg', ['pubkey'], { input: `${theirs}\n` })
        .toString()
        .trim();
      expect(publicKeyFromPrivate(theirs)).toBe(theirPublic);
    }
  });
  if (!wg) console.log('skipping the `wg pubkey` comparison: wg is not installed (apt-get install wireguard-tools)');
});
