import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Secrets at rest (WireGuard private keys, TOTP secrets): AES-256-GCM with a 256-bit key kept in
 * `<data dir>/secret.key` (0600, made on first start) or given in GATEHOUSE_SECRET_KEY (SECURITY.md, "Keys and
 * rotation"). A sealed value is `enc:v1:<key id>:<base64 of iv | tag | ciphertext>`; the key id (8 hex of the
 * key's SHA-256) tells a wrong key from a damaged value. Values without the prefix are plaintext from an older
 * database: the server seals them at start (src/services/secrets/at-rest.ts).
 */
export const SEALED_PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretKeyError extends Error {
  override name = 'SecretKeyError';
}

export function isSealed(value: string): boolean {
  return value.startsWith(SEALED_PREFIX);
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export class SecretBox {
  readonly id: string;
  private readonly openers: Map<string, Buffer>;
  /**
   * `key` seals and opens; `alsoOpens` only opens (a rotation that was cut short holds values sealed with
   * either key until it is finished: src/services/secrets/rotate.ts).
   */
  constructor(
    private readonly key: Buffer,
    alsoOpens: Buffer[] = [],
  ) {
    if ([key, ...alsoOpens].some((k) => k.length !== 32))
      throw new SecretKeyError('the secret key must be 32 bytes (256 bits)');
    this.id = keyId(key);
    this.openers = new Map([...alsoOpens, key].map((k) => [keyId(k), k]));
  }
  /** A key for another purpose, derived from this one (HKDF-SHA256), so one secret serves each use apart. */
  derive(purpose: string, bytes: number): Buffer {
    return Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), `gatehouse ${purpose}`, bytes));
  }

  seal(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${SEALED_PREFIX}${this.id}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  open(sealed: string): string {
    if (!isSealed(sealed)) throw new SecretKeyError('the value is not sealed (plaintext from an older database?)');
    const [id, data] = sealed.slice(SEALED_PREFIX.length).split(':');
    const key = id === undefined ? undefined : this.openers.get(id);
    if (!key) {
      throw new SecretKeyError(
        `a secret was sealed with key ${id}, but the secret key in use is ${this.id}: wrong secret.key or GATEHOUSE_SECRET_KEY`,
      );
    }
    const raw = Buffer.from(data ?? '', 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretKeyError(`a secret sealed with key ${id} does not decrypt: the value is damaged`);
    }
  }

  /** Seals a nullable column value. */
  sealNullable(plain: string | null | undefined): string | null {
    return plain == null ? null : this.seal(plain);
  }

  openNullable(sealed: string | null | undefined): string | null {
    return sealed == null ? null : this.open(sealed);
  }
}

/** Parses a base64 key (GATEHOUSE_SECRET_KEY, the key file); null when it is not exactly 32 bytes. */
export function parseSecretKey(text: string): Buffer | null {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(trimmed)) return null;
  const key = Buffer.from(trimmed, 'base64');
  return key.length === 32 ? key : null;
}

export function newSecretKey(): Buffer {
  return randomBytes(32);
}

/** Writes a key file with mode 0600 from its first byte; `wx` never overwrites a key. */
export function writeKeyFile(file: string, key: Buffer, flag: 'wx' | 'w' = 'wx'): void {
  writeFileSync(file, `${key.toString('base64')}\n`, { flag, mode: 0o600 });
  chmodSync(file, 0o600);
}

/** The key in `file`; undefined when there is no such file. */
export function readKeyFile(file: string): Buffer | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const key = parseSecretKey(text);
  if (!key) throw new SecretKeyError(`${file} does not hold a secret key (base64 of 32 bytes)`);
  return key;
}

/** Reads `file`, or creates it with a new key when absent (first start). */
export function loadOrCreateKeyFile(file: string): Buffer {
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text === undefined) {
    const key = newSecretKey();
    writeKeyFile(file, key);
    return key;
  }
  const key = parseSecretKey(text);
  if (!key) throw new SecretKeyError(`${file} does not hold a secret key (base64 of 32 bytes)`);
  chmodSync(file, 0o600);
  return key;
}

const boxes = new Map<string, SecretBox>();

/**
 * The box for a configuration: the key from GATEHOUSE_SECRET_KEY, else the key file (created on first use).
 * Cached per key source, so every service verb of one server shares one key without reading the file again.
 */
export function secretBoxFor(config: { secrets: { key: string | undefined; keyFile: string } }): SecretBox {
  const source = config.secrets.key !== undefined ? `env:${config.secrets.key}` : `file:${config.secrets.keyFile}`;
  let box = boxes.get(source);
  if (!box) {
    const key =
      config.secrets.key !== undefined
        ? parseSecretKey(config.secrets.key)
        : loadOrCreateKeyFile(config.secrets.keyFile);
    if (!key) throw new SecretKeyError('GATEHOUSE_SECRET_KEY must be base64 of 32 bytes');
    box = new SecretBox(key);
    boxes.set(source, box);
  }
  return box;
}

/** Forgets cached boxes (after `gatehouse secrets rotate` wrote a new key file). */
export function forgetSecretBoxes(): void {
  boxes.clear();
}
