import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';

/**
 * WireGuard keys are raw 32-byte Curve25519 values in standard base64 (44 characters ending in `=`).
 * node:crypto does X25519 natively, so keys are made without the `wg` binary (peers can be managed on a
 * machine where WireGuard cannot run); test/unit/wireguard-keys.test.ts checks that `wg pubkey` agrees.
 */
export interface KeyPair {
  privateKey: string;
  publicKey: string;
}

// PKCS#8 wrapping of a raw X25519 private key: SEQUENCE { version 0, AlgorithmIdentifier 1.3.101.110, OCTET STRING { OCTET STRING (32) } }.
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

const KEY_PATTERN = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/** True for a base64 string that decodes to exactly 32 bytes (what `wg` accepts as a key). */
export function isWireGuardKey(value: string): boolean {
  return KEY_PATTERN.test(value) && Buffer.from(value, 'base64').length === 32;
}

/** Clamps as `wg genkey` does, so our private keys look exactly like the tool's. */
function clamp(raw: Buffer): Buffer {
  const key = Buffer.from(raw);
  key[0]! &= 248;
  key[31]! &= 127;
  key[31]! |= 64;
  return key;
}

export function publicKeyFromPrivate(privateKey: string): string {
  if (!isWireGuardKey(privateKey)) throw new Error('not a WireGuard key (base64 of 32 bytes)');
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_X25519_PREFIX, Buffer.from(privateKey, 'base64')]),
    format: 'der',
    type: 'pkcs8',
  });
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  return Buffer.from(jwk.x!, 'base64url').toString('base64');
}

export function generateKeyPair(): KeyPair {
  const { privateKey } = generateKeyPairSync('x25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const raw = clamp(Buffer.from(jwk.d!, 'base64url')).toString('base64');
  return { privateKey: raw, publicKey: publicKeyFromPrivate(raw) };
}

/** 32 random bytes, as `wg genpsk` makes them. */
export function generatePresharedKey(): string {
  return randomBytes(32).toString('base64');
}
